// A pushed record on its way in: the QANATIX rule (name, source_id, vertical_data; every other
// top-level field moves into vertical_data), the checks the records store would refuse a whole
// batch for, and the collection's schema. Failures become dead-letter entries, not errors.
import { canonicalJson, canonicalRecord } from "../records/contentHash.js";
import { HASH_KEY_PREFIX, MAX_RECORD_BYTES, sourceIdProblem } from "../records/prepare.js";
import type { RecordInput } from "../records/types.js";
import { isObject } from "../validation.js";
import type { RecordValidator } from "./schemaValidator.js";
import type { Screened } from "./types.js";

const EXCERPT_CHARS = 512;
// Canonical JSON writes a number as JavaScript does, which can be longer than the JSON it was
// parsed from (`1E20`, 4 bytes, is written as 21 digits); it is never longer than GROWTH times
// that JSON, plus the wrapper and key (SIZE_MARGIN). Smaller JSON needs no size check.
const GROWTH = 6;
const SIZE_MARGIN = 1024;
const UNCHECKED_BYTES = Math.floor((MAX_RECORD_BYTES - SIZE_MARGIN) / GROWTH);
/**
 * Levels of arrays and objects inside vertical_data. The store's canonical JSON stops at
 * 1,000 (a whole batch fails then), JSON.stringify and ajv recurse: well below both.
 */
export const MAX_NESTING = 256;

/** The first characters of what was sent, for a dead-letter entry. */
export function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : text.slice(0, EXCERPT_CHARS) + "…";
}

/** excerpt() of a parsed value; one too deep for JSON.stringify is not shown. */
export function excerptOf(value: unknown): string {
  try {
    return excerpt(JSON.stringify(value) ?? "");
  } catch {
    return "(not shown: nested too deeply)";
  }
}

/** True when containers inside `value` nest more than `levels` deep (stops as soon as they do). */
function nestsDeeper(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (levels === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeper(item, levels - 1)) return true;
  }
  return false;
}

function sourceIdOf(value: unknown): string | null | { error: string } {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string" || value === "") return { error: "source_id must be a non-empty string when given" };
  const problem = sourceIdProblem(value);
  if (problem) return { error: `source_id ${problem}` };
  return value;
}

/**
 * Applies the QANATIX rule and the store's limits. `jsonBytes` is the size of the JSON the
 * value came from, when known: below the record limit the size check is skipped.
 */
export function normalizePushed(value: unknown, jsonBytes?: number): Screened {
  if (!isObject(value)) return { reject: { error: "a record must be a JSON object" } };
  const { name, source_id, vertical_data, ...rest } = value;
  const sourceId = sourceIdOf(source_id);
  const sid = typeof sourceId === "string" ? sourceId : null;
  if (typeof name !== "string" || name === "") return { reject: { source_id: sid, error: "name is required: a non-empty string" } };
  if (!name.isWellFormed()) return { reject: { source_id: sid, error: "name is not valid Unicode (it holds a lone surrogate such as \\ud800)" } };
  if (sourceId !== null && typeof sourceId === "object") return { reject: { error: sourceId.error } };
  if (vertical_data !== undefined && vertical_data !== null && !isObject(vertical_data)) {
    return { reject: { source_id: sid, error: "vertical_data must be an object" } };
  }
  let data = (vertical_data ?? {}) as Record<string, unknown>;
  // Fields named inside vertical_data win over the same names at the top level. Spread, not
  // Object.assign: a `__proto__` key of vertical_data stays a field instead of a prototype.
  for (const _ in rest) {
    data = { ...rest, ...data };
    break;
  }
  // Nesting N levels deep takes at least 2N bytes of JSON.
  if ((jsonBytes === undefined || jsonBytes > 2 * MAX_NESTING) && nestsDeeper(data, MAX_NESTING)) {
    return { reject: { source_id: sid, error: `vertical_data is nested more than ${MAX_NESTING} levels deep` } };
  }
  const record: RecordInput = { name, source_id: sid, vertical_data: data };
  if (jsonBytes === undefined || jsonBytes > UNCHECKED_BYTES) {
    const key = sid ?? `${HASH_KEY_PREFIX}${"0".repeat(64)}`;
    const bytes = Buffer.byteLength(canonicalRecord(name, canonicalJson(data) ?? "{}")) + Buffer.byteLength(key);
    if (bytes > MAX_RECORD_BYTES) {
      return { reject: { source_id: sid, error: `the record is ${bytes} bytes serialized; at most ${MAX_RECORD_BYTES} are stored` } };
    }
  }
  return { record };
}

/** normalizePushed, then the collection's schema (when it has one) on vertical_data. */
export function screenPushed(value: unknown, validator: RecordValidator | undefined, jsonBytes?: number): Screened {
  const screened = normalizePushed(value, jsonBytes);
  if (!validator || !("record" in screened)) return screened;
  return admitBySchema(screened.record, validator);
}

export function admitBySchema(record: RecordInput, validator: RecordValidator): Screened {
  const violations = validator(record.vertical_data);
  if (!violations) return { record };
  return {
    reject: {
      source_id: record.source_id ?? null,
      error: `vertical_data does not match the schema: ${violations.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`,
      schema_errors: violations,
    },
  };
}
