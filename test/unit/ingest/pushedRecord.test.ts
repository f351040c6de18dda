// The QANATIX rule for pushed records, the store's limits checked per record, and schema
// findings as dead-letter reasons.
import { describe, expect, it } from "vitest";
import { normalizePushed, screenPushed } from "../../../lib/ingest/pushedRecord.js";
import { compileSchema } from "../../../lib/ingest/schemaValidator.js";
import { MAX_RECORD_BYTES } from "../../../lib/records/recordStore.js";

describe("normalizePushed", () => {
  it("moves every other top-level field into vertical_data; vertical_data's own fields win", () => {
    expect(normalizePushed({ name: "n", source_id: "s", a: 1, b: 2, vertical_data: { b: 3, c: 4 } })).toEqual({
      record: { name: "n", source_id: "s", vertical_data: { a: 1, b: 3, c: 4 } },
    });
    expect(normalizePushed({ name: "n" })).toEqual({ record: { name: "n", source_id: null, vertical_data: {} } });
    expect(normalizePushed({ name: "n", source_id: 42, vertical_data: null })).toEqual({ record: { name: "n", source_id: "42", vertical_data: {} } });
  });

  it.each([
    [null, "a record must be a JSON object"],
    [[{ name: "n" }], "a record must be a JSON object"],
    [{ name: "" }, "name is required: a non-empty string"],
    [{ name: 7 }, "name is required: a non-empty string"],
    [{ name: "n", source_id: "" }, "source_id must be a non-empty string when given"],
    [{ name: "n", source_id: true }, "source_id must be a non-empty string when given"],
    [{ name: "n", source_id: "x".repeat(1025) }, "source_id is longer than 1024 bytes"],
    [{ name: "n", vertical_data: "text" }, "vertical_data must be an object"],
  ])("rejects %j", (value, error) => {
    expect(normalizePushed(value)).toMatchObject({ reject: { error } });
  });

  it("rejects a record the store would refuse for its size, unless its JSON was small", () => {
    const big = { name: "n", blob: "x".repeat(MAX_RECORD_BYTES) };
    expect(normalizePushed(big)).toMatchObject({ reject: { error: expect.stringContaining(`at most ${MAX_RECORD_BYTES}`) } });
    expect(normalizePushed(big, MAX_RECORD_BYTES + 100)).toMatchObject({ reject: {} });
    expect(normalizePushed({ name: "n", blob: "x".repeat(1000) }, 1100)).toHaveProperty("record");
  });
});

describe("screenPushed", () => {
  it("checks vertical_data against the schema and lists ajv's findings", () => {
    const validator = compileSchema({ type: "object", properties: { price: { type: "number" } }, required: ["price"] });
    expect(screenPushed({ name: "n", price: 1 }, validator)).toHaveProperty("record");
    expect(screenPushed({ name: "n", source_id: "s", price: "1" }, validator)).toEqual({
      reject: {
        source_id: "s",
        error: "vertical_data does not match the schema: /price must be number",
        schema_errors: [{ path: "/price", message: "must be number" }],
      },
    });
  });

  it("refuses an invalid schema with ajv's reason", () => {
    expect(() => compileSchema({ type: "objekt" })).toThrow(/schema is not a valid JSON Schema \(draft 2020-12\): schema is invalid/);
    expect(() => compileSchema([])).toThrow("schema must be a JSON Schema");
  });
});
