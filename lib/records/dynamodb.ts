// The records store on DynamoDB (AWS; DynamoDB Local and dynalite in tests): one item per
// record in the records table, pk REC#<tenant>#<collection>#<record_type>#<shard>, sk source_id,
// a collection's records spread over `shards` partition keys because one partition takes at
// most 1,000 write units a second. Upsert reads the stored hashes of a batch's keys and writes
// only what changed, so re-sends and the overlap of pull watermarks cost reads, not writes.
// vertical_data is stored as its canonical JSON text: it reads back exactly as it was hashed (no
// DynamoDB number range or precision limits), and its size is known before the write.
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConfigurationError, NotFoundError, ValidationError } from "../errors.js";
import { batchGet, batchWrite, type BatchOptions } from "../store/batch.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import type { RecordStore } from "./contract.js";
import { impossibleSourceId, prepareBatch, scopeKey, storedOrigin, validLimit, type PreparedBatch } from "./prepare.js";
import { DEFAULT_RECORD_SHARDS, shardOf } from "./shards.js";
import type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";

export interface DynamoRecordStoreOptions {
  now?: () => Date;
  batch?: BatchOptions;
  /** Partition keys per (tenant, collection, record_type); default DEFAULT_RECORD_SHARDS. */
  shards?: number;
}

export class DynamoRecordStore implements RecordStore {
  readonly kind = "dynamodb" as const;
  private readonly shards: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly options: DynamoRecordStoreOptions = {},
  ) {
    const shards = options.shards ?? DEFAULT_RECORD_SHARDS;
    if (!Number.isInteger(shards) || shards < 1) throw new ConfigurationError(`record shards must be a positive integer, not ${shards}`);
    this.shards = shards;
  }

  /**
   * Not atomic against a failed write: earlier chunks stay written, and a retry of the same
   * batch counts them as duplicates. BatchGet and BatchWrite take keys of several shards in one
   * call, so chunks keep the batch's order: each mixes shards, and a throttled shard leaves only
   * its own items unprocessed.
   */
  async upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult> {
    scopeKey(scope);
    return this.write(scope, prepareBatch(records), origin);
  }

  async write(scope: RecordScope, batch: PreparedBatch, origin: RecordOrigin): Promise<UpsertResult> {
    const scopePk = scopeKey(scope);
    let duplicates = batch.duplicates;
    const keys = batch.latest.map((record) => ({ pk: this.shardKey(scopePk, record.source_id), sk: record.source_id }));
    const found = await batchGet(this.db, this.table, keys, ["sk", "content_hash", "created_at", "origin"], {
      ...this.options.batch,
      consistentRead: true,
    });
    const stored = new Map(found.map((item) => [item.sk as string, item]));

    const now = (this.options.now?.() ?? new Date()).toISOString();
    const kept = storedOrigin(origin);
    const puts: Record<string, unknown>[] = [];
    let rewritten = 0;
    batch.latest.forEach((record, i) => {
      const existing = stored.get(record.source_id);
      if (existing?.content_hash === record.content_hash) {
        // Stored unchanged by this same pull run (a resume re-reading its last batch): uploaded, as the first time.
        const own = origin.kind === "pull" && (existing.origin as RecordOrigin | undefined)?.id === origin.id;
        if (own) rewritten++;
        else duplicates++;
        return;
      }
      puts.push({
        pk: keys[i]!.pk,
        sk: record.source_id,
        name: record.name,
        vertical_data: record.vertical_data,
        content_hash: record.content_hash,
        origin: kept,
        created_at: typeof existing?.created_at === "string" ? existing.created_at : now,
        updated_at: now,
      });
    });
    await batchWrite(this.db, this.table, puts, this.options.batch);
    return { uploaded: puts.length + rewritten, duplicates };
  }

  async get(scope: RecordScope, sourceId: string): Promise<StoredRecord> {
    const scopePk = scopeKey(scope);
    // Keys DynamoDB would refuse cannot name a stored record.
    if (impossibleSourceId(sourceId)) throw new NotFoundError("record", String(sourceId));
    const Key = { pk: this.shardKey(scopePk, sourceId), sk: sourceId };
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    if (!Item) throw new NotFoundError("record", sourceId);
    return toRecord(Item);
  }

  /**
   * A k-way merge of the shards, each queried in parallel for the page's worth after the
   * cursor, in UTF-8 byte order as DynamoDB sorts. The cursor names the scope's unsharded key
   * and the last source_id listed, so it resumes every shard at once.
   */
  async list(scope: RecordScope, options: ListOptions): Promise<Page<StoredRecord>> {
    const scopePk = scopeKey(scope);
    const limit = validLimit(options.limit);
    const after = decodePageCursor(options.cursor, { pk: scopePk })?.sk;
    if (after !== undefined && impossibleSourceId(after)) throw new ValidationError("cursor is not one this API returned", "cursor");
    const readers = Array.from({ length: this.shards }, (_, shard) => new ShardReader(this.db, this.table, `${scopePk}#${shard}`, after));
    // One past the page: a shard that supplies the whole page still tells whether it has more.
    const heads = await Promise.all(readers.map((reader) => reader.peek(limit + 1)));
    const items: StoredRecord[] = [];
    while (items.length < limit) {
      let next = -1;
      heads.forEach((head, i) => {
        if (head && (next < 0 || Buffer.compare(head.order, heads[next]!.order) < 0)) next = i;
      });
      if (next < 0) break;
      items.push(toRecord(readers[next]!.take()));
      heads[next] = await readers[next]!.peek(limit - items.length + 1);
    }
    const more = heads.some((head) => head !== undefined);
    return { items, next_cursor: more ? encodeCursor({ pk: scopePk, sk: items.at(-1)!.source_id }) : null };
  }

  async close(): Promise<void> {
    // The DynamoDB client belongs to the caller.
  }

  private shardKey(scopePk: string, sourceId: string): string {
    return `${scopePk}#${shardOf(sourceId, this.shards)}`;
  }
}

interface Head {
  item: Record<string, unknown>;
  /** The sort key's UTF-8 bytes: DynamoDB's order, which JavaScript's string order is not. */
  order: Buffer;
}

/** One shard's items after the cursor, read a query at a time as the merge uses them up. */
class ShardReader {
  private buffer: Head[] = [];
  private position = 0;
  private start: Record<string, unknown> | undefined;
  private exhausted = false;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly pk: string,
    private readonly after: string | undefined,
  ) {}

  /** The shard's next item, querying for up to `want` more once the read ones are used; undefined at its end. */
  async peek(want: number): Promise<Head | undefined> {
    // A query stops at 1 MB, and may then return nothing yet still have more.
    while (this.position === this.buffer.length && !this.exhausted) await this.read(want);
    return this.buffer[this.position];
  }

  take(): Record<string, unknown> {
    return this.buffer[this.position++]!.item;
  }

  private async read(want: number): Promise<void> {
    const after = this.after !== undefined;
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: after ? "pk = :pk AND sk > :after" : "pk = :pk",
        ExpressionAttributeValues: after ? { ":pk": this.pk, ":after": this.after } : { ":pk": this.pk },
        ExclusiveStartKey: this.start,
        Limit: want,
      }),
    );
    this.buffer = (page.Items ?? []).map((item) => ({ item, order: Buffer.from(item.sk as string, "utf8") }));
    this.position = 0;
    this.start = page.LastEvaluatedKey;
    this.exhausted = this.start === undefined;
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
