// A pushed record on its way in: the QANATIX rule (name, source_id, vertical_data; every other
// top-level field moves into vertical_data), the checks the records store would refuse a whole
// batch for, and the collection's schema. Failures become dead-letter entries, not errors.
import { canonicalJson, canonicalRecord } from "../records/contentHash.js";
import { HASH_KEY_PREFIX, MAX_RECORD_BYTES, MAX_SOURCE_ID_BYTES } from "../records/recordStore.js";
import type { RecordInput } from "../records/types.js";
import { isObject } from "../validation.js";
import type { RecordValidator } from "./schemaValidator.js";
import type { Screened } from "./types.js";

const EXCERPT_CHARS = 512;
// Canonical JSON is never longer than the JSON it was parsed from, plus the wrapper and key.
const SIZE_MARGIN = 1024;

/** The first characters of what was sent, for a dead-letter entry. */
export function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : text.slice(0, EXCERPT_CHARS) + "…";
}

function sourceIdOf(value: unknown): string | null | { error: string } {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string" || value === "") return { error: "source_id must be a non-empty string when given" };
  if (Buffer.byteLength(value) > MAX_SOURCE_ID_BYTES) return { error: `source_id is longer than ${MAX_SOURCE_ID_BYTES} bytes` };
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
  if (sourceId !== null && typeof sourceId === "object") return { reject: { error: sourceId.error } };
  if (vertical_data !== undefined && vertical_data !== null && !isObject(vertical_data)) {
    return { reject: { source_id: sid, error: "vertical_data must be an object" } };
  }
  let data = (vertical_data ?? {}) as Record<string, unknown>;
  // Fields named inside vertical_data win over the same names at the top level.
  for (const _ in rest) {
    data = Object.assign(rest, data);
    break;
  }
  const record: RecordInput = { name, source_id: sid, vertical_data: data };
  if (jsonBytes === undefined || jsonBytes > MAX_RECORD_BYTES - SIZE_MARGIN) {
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
