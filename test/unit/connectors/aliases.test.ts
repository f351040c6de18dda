// The alias mapping on its own: canonical names, credentials merged (never through a prototype),
// and errors renamed to the field as the caller sent it.
import { describe, expect, it } from "vitest";
import { asSent, canonicalize, canonicalType } from "../../../lib/connectors/aliases.js";
import { ValidationError } from "../../../lib/errors.js";

describe("canonicalize", () => {
  it("maps Querri's and Qarion's names and keeps what it does not know for the schema to refuse", () => {
    const { body, sent } = canonicalize({ type: "postgres", display_name: "n", config: { host: "h" }, credentials: { password: "p" }, other: 1 });
    expect(body).toEqual({ connector_type: "postgresql", name: "n", connection_config: { host: "h", password: "p" }, other: 1 });
    expect([...sent]).toEqual([["connector_type", "type"], ["name", "display_name"], ["connection_config", "config"], ["connection_config.password", "credentials.password"]]);
    expect(canonicalize({ connector_type: "postgresql" }).sent.size).toBe(0);
    expect(canonicalType("mysql")).toBe("mysql");
    expect(canonicalType(5)).toBe(5);
  });

  it("refuses an alias with its canonical field, and a key in both config and credentials", () => {
    expect(() => canonicalize({ type: "mysql", connector_type: "mysql" })).toThrow(expect.objectContaining({ field: "type", details: { fields: ["type", "connector_type"] } }));
    expect(() => canonicalize({ config: { user: "a" }, credentials: { user: "b" } })).toThrow(expect.objectContaining({ field: "credentials.user" }));
    expect(() => canonicalize({ credentials: ["x"] })).toThrow(expect.objectContaining({ field: "credentials" }));
    expect(() => canonicalize({ config: "x", credentials: {} })).toThrow(expect.objectContaining({ field: "config" }));
  });

  it("merges a __proto__ key as a plain field, never as a prototype", () => {
    const { body } = canonicalize(JSON.parse('{"credentials":{"__proto__":{"polluted":true}}}'));
    const config = body.connection_config as Record<string, unknown>;
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(Object.keys(config)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("asSent", () => {
  const sent = new Map([["connection_config", "config"], ["connection_config.password", "credentials.password"], ["name", "display_name"]]);

  it("renames the field and its path in the message, the longest match first", () => {
    const renamed = asSent(new ValidationError("connection_config.host: expected string", "connection_config.host"), sent) as ValidationError;
    expect([renamed.field, renamed.message]).toEqual(["config.host", "config.host: expected string"]);
    expect((asSent(new ValidationError("x", "connection_config.password"), sent) as ValidationError).field).toBe("credentials.password");
  });

  it("says a missing canonical field may come under its alias, and leaves other errors alone", () => {
    expect((asSent(new ValidationError("name is required", "name"), new Map()) as ValidationError).message).toBe("name is required (also accepted as display_name)");
    const other = new ValidationError("batch_size: too big", "batch_size");
    expect(asSent(other, sent)).toBe(other);
    const plain = new Error("x");
    expect(asSent(plain, sent)).toBe(plain);
  });
});
