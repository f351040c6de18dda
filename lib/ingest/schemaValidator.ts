// JSON Schema (draft 2020-12) compilation with ajv. Each schema gets its own Ajv instance, so
// one tenant's `$id` can neither collide with nor be `$ref`-erenced by another's.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { RE2JS } from "re2js";
import { ValidationError } from "../errors.js";
import type { SchemaViolation } from "./types.js";

// ajv-formats is CommonJS with a default export; under NodeNext the import is its module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

// Schemas come from API users, and JavaScript's backtracking RegExp lets a `pattern` such as
// "^(a+)+$" take exponential time on one string (ReDoS). Patterns run on RE2 instead (re2js, pure
// JavaScript), which matches in linear time; constructs it lacks (lookaround, backreferences)
// make the schema invalid, with RE2's reason.
const linearRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const compiled = RE2JS.compile(pattern);
    // ajv caches compiled patterns under toString(): it must name the pattern, as RegExp's does.
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `/${pattern}/${flags}` };
  },
  { code: "re2js" },
);

/** Findings kept per record: enough to fix it, bounded for a pathological array. */
export const MAX_VIOLATIONS = 20;

/** undefined when vertical_data is valid, else ajv's findings (path and message). */
export type RecordValidator = (verticalData: Record<string, unknown>) => SchemaViolation[] | undefined;

/** Compiles a schema; an invalid one is a ValidationError carrying ajv's reason. */
export function compileSchema(schema: unknown): RecordValidator {
  if (!(typeof schema === "boolean" || (schema !== null && typeof schema === "object" && !Array.isArray(schema)))) {
    throw new ValidationError("schema must be a JSON Schema: an object (or true/false)", "schema");
  }
  // allErrors: a dead-letter entry should list every problem, not the first one only. ajv's
  // default strictness refuses unknown keywords (a typo would silently check nothing) but not
  // valid-if-unusual schemas such as `required` without `properties`.
  const ajv = new Ajv2020({ allErrors: true, logger: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  let validate: ReturnType<Ajv2020["compile"]>;
  try {
    validate = ajv.compile(schema as object | boolean);
  } catch (error) {
    throw new ValidationError(`schema is not a valid JSON Schema (draft 2020-12): ${(error as Error).message}`, "schema");
  }
  const validator: RecordValidator = (verticalData) => {
    let valid: boolean;
    try {
      valid = validate(verticalData) as boolean;
    } catch (error) {
      // A schema that refers to itself without consuming the value ($ref "#" under allOf with
      // unevaluatedProperties, $dynamicRef loops) recurses without end in ajv's code.
      if (!(error instanceof RangeError)) throw error;
      return [{ path: "", message: "the collection's schema cannot be evaluated on this record: it refers to itself without end" }];
    }
    if (valid) return undefined;
    return (validate.errors ?? []).slice(0, MAX_VIOLATIONS).map((e) => ({ path: e.instancePath, message: e.message ?? e.keyword }));
  };
  // Such a schema is refused when it is stored, if a few ordinary values already show it.
  for (const probe of PROBES) {
    const found = validator(probe);
    if (found?.[0]?.message.includes("refers to itself without end")) {
      throw new ValidationError("schema is not usable: it refers to itself without end (a $ref or $dynamicRef loop that consumes nothing)", "schema");
    }
  }
  return validator;
}

const PROBES: Record<string, unknown>[] = [{}, { a: "ab" }, { a: 1, b: [true, null], c: { d: "e" } }];
