// The records plane: one item per record in the records table, pk REC#<tenant>#<collection>#
// <record_type>, sk source_id. Upsert reads the stored hashes of a batch's keys and writes only
// what changed, so re-sends and the overlap of pull watermarks cost reads, not writes.
// vertical_data is stored as its canonical JSON text: it reads back exactly as it was hashed
// (no DynamoDB number range or precision limits), and its size is known before the write.
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError, ValidationError } from "../errors.js";
import { batchGet, batchWrite, type BatchOptions } from "../store/batch.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { canonicalJson, canonicalRecord, sha256Hex } from "./contentHash.js";
import type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";

/** Canonical JSON of name + vertical_data plus source_id; leaves room under DynamoDB's 400 KB item. */
export const MAX_RECORD_BYTES = 350 * 1024;
/** DynamoDB's limit for a sort key. */
export const MAX_SOURCE_ID_BYTES = 1024;
export const HASH_KEY_PREFIX = "sha256:";

interface PreparedRecord {
  source_id: string;
  name: string;
  vertical_data: string;
  content_hash: string;
}

export interface RecordStoreOptions {
  now?: () => Date;
  batch?: BatchOptions;
}

export class RecordStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly options: RecordStoreOptions = {},
  ) {}

  /**
   * Validates every record first (a batch is written whole or not at all for invalid input),
   * then writes those whose content hash differs from the stored one, keeping `created_at`.
   * A source_id sent twice in one batch: the last one is the one stored; an earlier one
   * identical to it counts as a duplicate, a different one (superseded) is not counted.
   * Not atomic against a failed write: earlier chunks stay written, and a retry of the same
   * batch counts them as duplicates.
   */
  async upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult> {
    const pk = partition(scope);
    const prepared = records.map(prepare);
    const latest = new Map<string, PreparedRecord>();
    for (const record of prepared) latest.set(record.source_id, record);
    let duplicates = 0;
    for (const record of prepared) {
      const last = latest.get(record.source_id)!;
      if (last !== record && last.content_hash === record.content_hash) duplicates++;
    }

    const keys = [...latest.keys()].map((sk) => ({ pk, sk }));
    const found = await batchGet(this.db, this.table, keys, ["sk", "content_hash", "created_at"], {
      ...this.options.batch,
      consistentRead: true,
    });
    const stored = new Map(found.map((item) => [item.sk as string, item]));

    const now = (this.options.now?.() ?? new Date()).toISOString();
    const storedOrigin: RecordOrigin = { kind: origin.kind, id: origin.id };
    if (origin.connector_id !== undefined) storedOrigin.connector_id = origin.connector_id;
    const puts: Record<string, unknown>[] = [];
    for (const record of latest.values()) {
      const existing = stored.get(record.source_id);
      if (existing?.content_hash === record.content_hash) {
        duplicates++;
        continue;
      }
      puts.push({
        pk,
        sk: record.source_id,
        name: record.name,
        vertical_data: record.vertical_data,
        content_hash: record.content_hash,
        origin: storedOrigin,
        created_at: typeof existing?.created_at === "string" ? existing.created_at : now,
        updated_at: now,
      });
    }
    await batchWrite(this.db, this.table, puts, this.options.batch);
    return { uploaded: puts.length, duplicates };
  }

  async get(scope: RecordScope, sourceId: string): Promise<StoredRecord> {
    const pk = partition(scope);
    // Keys DynamoDB would refuse cannot name a stored record.
    if (typeof sourceId !== "string" || sourceId === "" || Buffer.byteLength(sourceId) > MAX_SOURCE_ID_BYTES) {
      throw new NotFoundError("record", String(sourceId));
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk: sourceId }, ConsistentRead: true }),
    );
    if (!Item) throw new NotFoundError("record", sourceId);
    return toRecord(Item);
  }

  /** In source_id order (UTF-8 bytes); the cursor only resumes within the same scope. */
  async list(scope: RecordScope, options: ListOptions): Promise<Page<StoredRecord>> {
    const pk = partition(scope);
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new ValidationError("limit must be a positive integer", "limit");
    }
    let start: Record<string, unknown> | undefined = decodePageCursor(options.cursor, { pk });
    const items: StoredRecord[] = [];
    // A page stops at 1 MB, so fill up to `limit` over several queries.
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": pk },
          ExclusiveStartKey: start,
          Limit: options.limit - items.length,
        }),
      );
      items.push(...(page.Items ?? []).map(toRecord));
      start = page.LastEvaluatedKey;
    } while (start && items.length < options.limit);
    return { items, next_cursor: encodeCursor(start) };
  }
}

// `#` separates the parts, so a part containing one could name another scope's partition.
function partition(scope: RecordScope): string {
  for (const field of ["tenant", "collection", "record_type"] as const) {
    const value = scope[field];
    if (typeof value !== "string" || value === "" || value.includes("#")) {
      throw new ValidationError(`${field} must be a non-empty string without '#'`, field);
    }
  }
  return `REC#${scope.tenant}#${scope.collection}#${scope.record_type}`;
}

function prepare(record: RecordInput, index: number): PreparedRecord {
  const at = `records[${index}]`;
  if (record === null || typeof record !== "object") throw new ValidationError(`${at} must be an object`, at);
  const { name, source_id, vertical_data } = record;
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(`${at}.name must be a non-empty string`, `${at}.name`);
  }
  if (source_id !== undefined && source_id !== null) {
    if (typeof source_id !== "string" || source_id === "") {
      throw new ValidationError(`${at}.source_id must be a non-empty string when given`, `${at}.source_id`);
    }
    if (Buffer.byteLength(source_id) > MAX_SOURCE_ID_BYTES) {
      throw new ValidationError(`${at}.source_id is longer than ${MAX_SOURCE_ID_BYTES} bytes`, `${at}.source_id`);
    }
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

function toRecord(item: Record<string, unknown>): StoredRecord {
  return {
    source_id: item.sk as string,
    name: item.name as string,
    vertical_data: JSON.parse(item.vertical_data as string) as Record<string, unknown>,
    content_hash: item.content_hash as string,
    origin: item.origin as RecordOrigin,
    created_at: item.created_at as string,
    updated_at: item.updated_at as string,
  };
}
