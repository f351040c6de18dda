// What every adapter does to a batch before it stores it: the same checks, limits and errors,
// the same canonical JSON and content hash, and the same rule for a source_id sent twice.
import { ValidationError } from "../errors.js";
import { canonicalJson, canonicalRecord, sha256Hex } from "./contentHash.js";
import type { RecordInput, RecordOrigin, RecordScope } from "./types.js";

/** Canonical JSON of name + vertical_data plus source_id; leaves room under DynamoDB's 400 KB item. */
export const MAX_RECORD_BYTES = 350 * 1024;
/** DynamoDB's limit for a sort key; the SQLite adapter keeps it so the two agree. */
export const MAX_SOURCE_ID_BYTES = 1024;
export const HASH_KEY_PREFIX = "sha256:";

export interface PreparedRecord {
  source_id: string;
  name: string;
  /** The canonical JSON text of vertical_data, stored as it is (it reads back as it was hashed). */
  vertical_data: string;
  content_hash: string;
}

export interface PreparedBatch {
  /** The last record of each source_id, in the order of their first appearance. */
  latest: PreparedRecord[];
  /** Earlier records identical to the last one of their source_id: duplicates already. */
  duplicates: number;
}

// `#` separates the parts, so a part containing one could name another scope's partition.
export function scopeKey(scope: RecordScope): string {
  for (const field of ["tenant", "collection", "record_type"] as const) {
    const value = scope[field];
    if (typeof value !== "string" || value === "" || value.includes("#")) {
      throw new ValidationError(`${field} must be a non-empty string without '#'`, field);
    }
  }
  return `REC#${scope.tenant}#${scope.collection}#${scope.record_type}`;
}

/**
 * Validates the whole batch and folds repeated source_ids. A record that cannot be stored
 * throws a ValidationError (before anything is written), or, with `onInvalid`, is left out
 * and reported by its index: a pull's poison row becomes a dead-letter entry, not a failed run.
 */
export function prepareBatch(records: RecordInput[], onInvalid?: (index: number, error: ValidationError) => void): PreparedBatch {
  const latest = new Map<string, PreparedRecord>();
  const prepared: PreparedRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    if (!onInvalid) {
      prepared.push(prepare(records[i]!, i));
      continue;
    }
    try {
      prepared.push(prepare(records[i]!, i));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      onInvalid(i, error);
    }
  }
  for (const record of prepared) {
    // Map keeps the first insertion's position; the value is the last one.
    latest.set(record.source_id, record);
  }
  let duplicates = 0;
  for (const record of prepared) {
    const last = latest.get(record.source_id)!;
    if (last !== record && last.content_hash === record.content_hash) duplicates++;
  }
  return { latest: [...latest.values()], duplicates };
}

/** The origin as stored: only its kind, id and connector. */
export function storedOrigin(origin: RecordOrigin): RecordOrigin {
  const out: RecordOrigin = { kind: origin.kind, id: origin.id };
  if (origin.connector_id !== undefined) out.connector_id = origin.connector_id;
  return out;
}

/** A source_id no stored record can have: reads of it are 404 without asking the store. */
export function impossibleSourceId(sourceId: unknown): boolean {
  return typeof sourceId !== "string" || sourceId === "" || sourceIdProblem(sourceId) !== undefined;
}

/**
 * Why a non-empty source_id cannot be stored, or undefined: the one check behind the store's
 * refusal, a push's dead-letter entry and a read's 404. A lone surrogate has no UTF-8 form (a
 * store would write U+FFFD and merge distinct ids); over 1 KB is DynamoDB's sort-key limit.
 */
export function sourceIdProblem(sourceId: string): string | undefined {
  if (!sourceId.isWellFormed()) return "is not valid Unicode (it holds a lone surrogate such as \\ud800)";
  if (Buffer.byteLength(sourceId) > MAX_SOURCE_ID_BYTES) return `is longer than ${MAX_SOURCE_ID_BYTES} bytes`;
  return undefined;
}

function prepare(record: RecordInput, index: number): PreparedRecord {
  const at = `records[${index}]`;
  if (record === null || typeof record !== "object") throw new ValidationError(`${at} must be an object`, at);
  const { name, source_id, vertical_data } = record;
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(`${at}.name must be a non-empty string`, `${at}.name`);
  }
  // A lone surrogate has no UTF-8 form: a store would write U+FFFD in its place and merge ids.
  if (!name.isWellFormed()) throw new ValidationError(`${at}.name is not valid Unicode (a lone surrogate)`, `${at}.name`);
  if (source_id !== undefined && source_id !== null) {
    if (typeof source_id !== "string" || source_id === "") {
      throw new ValidationError(`${at}.source_id must be a non-empty string when given`, `${at}.source_id`);
    }
    const problem = sourceIdProblem(source_id);
    if (problem) throw new ValidationError(`${at}.source_id ${problem}`, `${at}.source_id`);
  }
  if (vertical_data === null || typeof vertical_data !== "object" || Array.isArray(vertical_data)) {
    throw new ValidationError(`${at}.vertical_data must be an object`, `${at}.vertical_data`);
  }
  let verticalJson: string;
  try {
    verticalJson = canonicalJson(vertical_data) ?? "{}";
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`${at}.vertical_data is not JSON: ${reason}`, `${at}.vertical_data`);
  }
  const text = canonicalRecord(name, verticalJson);
  const content_hash = sha256Hex(text);
  const key = source_id ?? `${HASH_KEY_PREFIX}${content_hash}`;
  const bytes = Buffer.byteLength(text) + Buffer.byteLength(key);
  if (bytes > MAX_RECORD_BYTES) {
    throw new ValidationError(
      `record ${JSON.stringify(key)} (${at}) is ${bytes} bytes serialized; at most ${MAX_RECORD_BYTES} are stored`,
      at,
      { source_id: key, bytes, limit: MAX_RECORD_BYTES },
    );
  }
  return { source_id: key, name, vertical_data: verticalJson, content_hash };
}

export function validLimit(limit: unknown): number {
  if (!Number.isInteger(limit) || (limit as number) < 1) throw new ValidationError("limit must be a positive integer", "limit");
  return limit as number;
}
