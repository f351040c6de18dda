import { describe, expect, it } from "vitest";
import { scheduleName } from "../../../lib/schedule/scheduleName.js";

const ALLOWED = /^[0-9a-zA-Z_.-]{1,64}$/;

describe("scheduleName", () => {
  it("reads as the tenant and connector, with a hash", () => {
    expect(scheduleName("acme", "orders-db")).toMatch(/^sl-acme-orders-db-[0-9a-f]{16}$/);
  });

  it.each([
    ["t".repeat(300), "c".repeat(300)],
    ["tenant with spaces/and:colons", "ünïcødé 🚀 connector"],
    ["", ""],
    ["a\0b", "\n\t"],
    ["acme", "x".repeat(1000)],
  ])("stays within 64 allowed characters for %j / %j", (tenant, connectorId) => {
    expect(scheduleName(tenant, connectorId)).toMatch(ALLOWED);
  });

  it("is deterministic", () => {
    expect(scheduleName("acme", "orders")).toBe(scheduleName("acme", "orders"));
  });

  it.each([
    [["a", "bc"], ["ab", "c"]],
    [["acme", "orders db"], ["acme", "orders_db"]],
    [["acme", "x".repeat(100) + "1"], ["acme", "x".repeat(100) + "2"]],
    [["acme", "orders"], ["other", "orders"]],
  ])("tells %j and %j apart", ([t1, c1], [t2, c2]) => {
    expect(scheduleName(t1 as string, c1 as string)).not.toBe(scheduleName(t2 as string, c2 as string));
  });
});
