// The QANATIX rule for pushed records, the store's limits checked per record, and schema
// findings as dead-letter reasons.
import { describe, expect, it } from "vitest";
import { normalizePushed, screenPushed } from "../../../lib/ingest/pushedRecord.js";
import { compileSchema } from "../../../lib/ingest/schemaValidator.js";
import { canonicalJson } from "../../../lib/records/contentHash.js";
import { MAX_RECORD_BYTES } from "../../../lib/records/prepare.js";

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

  it("checks the size of a small text whose numbers grow when written canonically (1E20 is 21 digits)", () => {
    const text = `{"name":"n","n":[${Array(30_000).fill("1E20").join(",")}]}`;
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeLessThan(MAX_RECORD_BYTES / 2);
    expect(normalizePushed(JSON.parse(text), bytes)).toMatchObject({ reject: { error: expect.stringContaining(`at most ${MAX_RECORD_BYTES}`) } });
  });

  it("rejects a record nested too deeply to store, and never throws on one", () => {
    const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
    for (const text of [`{"name":"n","x":${deep(1500)}}`, `{"name":"n","vertical_data":{"x":${deep(20_000)}}}`]) {
      expect(normalizePushed(JSON.parse(text), Buffer.byteLength(text))).toMatchObject({ reject: { error: expect.stringMatching(/nested more than \d+ levels deep/) } });
      expect(normalizePushed(JSON.parse(text))).toMatchObject({ reject: {} });
    }
    const fine = `{"name":"n","x":${deep(100)}}`;
    expect(normalizePushed(JSON.parse(fine), Buffer.byteLength(fine))).toHaveProperty("record");
  });

  it("keeps a __proto__ key of vertical_data when top-level fields move in beside it", () => {
    const screened = normalizePushed(JSON.parse('{"name":"n","a":1,"vertical_data":{"__proto__":{"x":1},"b":2}}'));
    expect("record" in screened && canonicalJson(screened.record.vertical_data)).toBe('{"__proto__":{"x":1},"a":1,"b":2}');
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

describe("lone surrogates", () => {
  it("refuse a source_id or name that is not valid Unicode, keep the replacement character", () => {
    expect(normalizePushed({ name: "x", source_id: "k\ud800" })).toEqual({ reject: { error: expect.stringMatching(/source_id is not valid Unicode/) } });
    expect(normalizePushed({ name: "x\udfff", source_id: "k" })).toMatchObject({ reject: { source_id: "k", error: expect.stringMatching(/name is not valid Unicode/) } });
    expect(normalizePushed({ name: "x", source_id: "k\ufffd" })).toEqual({ record: { name: "x", source_id: "k\ufffd", vertical_data: {} } });
    expect(normalizePushed({ name: "😀", source_id: "😀" })).toMatchObject({ record: { name: "😀" } });
  });
});
