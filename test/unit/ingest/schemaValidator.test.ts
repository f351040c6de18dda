// Record schemas: ajv 2020-12 with patterns on a linear-time engine, so a user's schema cannot
// stall validation (ReDoS), and what that engine cannot run is refused when the schema is set.
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../lib/errors.js";
import { compileSchema } from "../../../lib/ingest/schemaValidator.js";

describe("compileSchema", () => {
  it("validates patterns as JavaScript does for ordinary ones", () => {
    const validate = compileSchema({ type: "object", properties: { sku: { type: "string", pattern: "^SKU-[0-9]{4}$" } }, patternProperties: { "^x-": { type: "number" } } });
    expect(validate({ sku: "SKU-0042", "x-rank": 1 })).toBeUndefined();
    expect(validate({ sku: "sku-42" })).toEqual([{ path: "/sku", message: 'must match pattern "^SKU-[0-9]{4}$"' }]);
    expect(validate({ "x-rank": "high" })).toEqual([{ path: "/x-rank", message: "must be number" }]);
    // Unicode: a pattern sees code points, not UTF-16 halves.
    expect(compileSchema({ properties: { e: { pattern: "^.$" } } })({ e: "😀" })).toBeUndefined();
  });

  it("runs a catastrophic-backtracking pattern in linear time", () => {
    const validate = compileSchema({ properties: { name: { type: "string", pattern: "^(a+)+$" } } });
    const started = performance.now();
    // JavaScript's RegExp takes about 2^40 steps here; RE2 a few thousand.
    expect(validate({ name: "a".repeat(40) + "!" })).toEqual([{ path: "/name", message: 'must match pattern "^(a+)+$"' }]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses a pattern RE2 cannot run, saying so", () => {
    for (const pattern of ["^(?=a)", "(a)\\1"]) {
      let error: unknown;
      try {
        compileSchema({ properties: { name: { pattern } } });
      } catch (caught) {
        error = caught;
      }
      expect(error, pattern).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(/^schema is not a valid JSON Schema/);
    }
  });
});
