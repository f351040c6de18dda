// The records store on DynamoDB (AWS; DynamoDB Local and dynalite in tests): one item per
// record in the records table, pk REC#<tenant>#<collection>#<record_type>, sk source_id. Upsert
// reads the stored hashes of a batch's keys and writes only what changed, so re-sends and the
// overlap of pull watermarks cost reads, not writes. vertical_data is stored as its canonical
// JSON text: it reads back exactly as it was hashed (no DynamoDB number range or precision
// limits), and its size is known before the write.
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { batchGet, batchWrite, type BatchOptions } from "../store/batch.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import type { RecordStore } from "./contract.js";
import { impossibleSourceId, prepareBatch, scopeKey, storedOrigin, validLimit } from "./prepare.js";
import type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";

export interface DynamoRecordStoreOptions {
  now?: () => Date;
  batch?: BatchOptions;
}

export class DynamoRecordStore implements RecordStore {
  readonly kind = "dynamodb" as const;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly options: DynamoRecordStoreOptions = {},
  ) {}

  /**
   * Not atomic against a failed write: earlier chunks stay written, and a retry of the same
   * batch counts them as duplicates.
   */
  async upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult> {
    const pk = scopeKey(scope);
    const batch = prepareBatch(records);
    let duplicates = batch.duplicates;
    const keys = batch.latest.map((record) => ({ pk, sk: record.source_id }));
    const found = await batchGet(this.db, this.table, keys, ["sk", "content_hash", "created_at"], {
      ...this.options.batch,
      consistentRead: true,
    });
    const stored = new Map(found.map((item) => [item.sk as string, item]));

    const now = (this.options.now?.() ?? new Date()).toISOString();
    const kept = storedOrigin(origin);
    const puts: Record<string, unknown>[] = [];
    for (const record of batch.latest) {
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
        origin: kept,
        created_at: typeof existing?.created_at === "string" ? existing.created_at : now,
        updated_at: now,
      });
    }
    await batchWrite(this.db, this.table, puts, this.options.batch);
    return { uploaded: puts.length, duplicates };
  }

  async get(scope: RecordScope, sourceId: string): Promise<StoredRecord> {
    const pk = scopeKey(scope);
    // Keys DynamoDB would refuse cannot name a stored record.
    if (impossibleSourceId(sourceId)) throw new NotFoundError("record", String(sourceId));
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk, sk: sourceId }, ConsistentRead: true }));
    if (!Item) throw new NotFoundError("record", sourceId);
    return toRecord(Item);
  }

  async list(scope: RecordScope, options: ListOptions): Promise<Page<StoredRecord>> {
    const pk = scopeKey(scope);
    const limit = validLimit(options.limit);
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
          Limit: limit - items.length,
        }),
      );
      items.push(...(page.Items ?? []).map(toRecord));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return { items, next_cursor: encodeCursor(start) };
  }

  async close(): Promise<void> {
    // The DynamoDB client belongs to the caller.
  }
}

export function toRecord(item: Record<string, unknown>): StoredRecord {
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
