import { describe, expect, it } from "vitest";
import { groupKeys, keyPattern } from "../../../lib/sources/redisKeyPatterns.js";

describe("keyPattern", () => {
  it.each([
    ["product:123", "product:*"],
    ["user:42:cart", "user:*:cart"],
    ["session:9f86d081884c7d65", "session:*"],
    ["order:2026-11-30:7", "order:*:*"],
    ["cache:{user1}:profile", "cache:*:profile"],
    ["config", "config"],
    ["v2:settings", "v2:settings"], // the first part names the kind, digits or not
    ["product:red-shirt", "product:red-shirt"],
    ["odd:a*b?", "odd:a\\*b\\?"], // literal glob characters are escaped for SCAN MATCH
  ])("%s → %s", (key, pattern) => {
    expect(keyPattern(key)).toBe(pattern);
  });
});

describe("groupKeys", () => {
  it("groups keys by pattern, sorted, keeping the keys of each", () => {
    const groups = groupKeys(["product:2", "user:1:cart", "product:1", "config", "user:2:cart"]);
    expect([...groups.keys()]).toEqual(["config", "product:*", "user:*:cart"]);
    expect(groups.get("product:*")).toEqual(["product:2", "product:1"]);
  });

  it("merges three or more literal siblings into prefix:*, with the keys already under it", () => {
    const groups = groupKeys(["colour:red", "colour:green", "colour:blue", "colour:7"]);
    expect([...groups]).toEqual([["colour:*", ["colour:7", "colour:red", "colour:green", "colour:blue"]]]);
  });

  it("keeps two literal siblings apart: too few to call it a pattern", () => {
    expect([...groupKeys(["settings:mail", "settings:theme"]).keys()]).toEqual(["settings:mail", "settings:theme"]);
  });
});
