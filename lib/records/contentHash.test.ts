// The canonical serialiser against JSON.stringify of a key-sorted copy, value kind by kind.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHash } from "./contentHash.js";

function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedCopy((value as Record<string, unknown>)[key])]));
}

describe("canonicalJson", () => {
  const cases: [string, unknown][] = [
    ["scalars", { s: "a\"b\\\n\u2028", n: -1.5e-7, big: 1e21, zero: -0, t: true, f: false, z: null }],
    ["non-finite numbers become null", { nan: NaN, inf: -Infinity }],
    ["undefined members are left out, undefined items become null", { u: undefined, fn: () => 1, list: [undefined, 1, () => 2] }],
    ["toJSON is used (dates)", { at: new Date("2024-01-02T03:04:05.678Z") }],
    ["keys sorted at every depth, arrays kept in order", { b: [{ d: 1, c: [3, 1, 2] }], a: { z: {}, y: [] }, "é": 1, "Z": 2 }],
  ];
  it.each(cases)("%s", (_, value) => {
    expect(canonicalJson(value)).toBe(JSON.stringify(sortedCopy(value)));
  });

  it("writes no whitespace and sorts keys", () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
  });

  // A sorted copy cannot show this: JS objects list integer-like keys first, in numeric order.
  it("sorts integer-like keys as strings", () => {
    expect(canonicalJson({ 9: "a", 10: "b", x: 1, "01": 2 })).toBe('{"01":2,"10":"b","9":"a","x":1}');
  });

  // Keys already sorted and primitive values take the native serialiser: the same text.
  it.each<[string, Record<string, unknown>]>([
    ["escapes and numbers", { a: "q\"\\\n\u2028\u0000", b: -0, c: 1e21, d: NaN, e: -Infinity, f: null, g: true }],
    ["integer-like keys listed first", { 1: "x", 2: "y", a: 0 }],
    ["a nested value falls back", { a: { d: 1, c: 2 }, b: 1 }],
    ["a toJSON value falls back", { a: new Date(0), b: "x" }],
  ])("keys in order: %s", (_, value) => {
    expect(canonicalJson(value)).toBe(JSON.stringify(sortedCopy(value)));
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(RangeError);
  });
});

describe("contentHash", () => {
  it("is SHA-256 hex of the canonical { name, vertical_data }", () => {
    const expected = createHash("sha256").update('{"name":"n","vertical_data":{"a":1,"b":[2,1]}}').digest("hex");
    expect(contentHash("n", { b: [2, 1], a: 1 })).toBe(expected);
  });
});
