// The DynamoDB records adapter's shards, on dynalite under a model of DynamoDB's per-partition
// write limit (test/support/throttledDynamo.ts): a large write into one collection spreads evenly
// over every shard and completes, one shard under a tight limit is throttled yet completes, and
// lists merge the shards in source_id order; the local migration reads both key layouts. Then the
// batch retries of throttling errors.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient, ProvisionedThroughputExceededException, ScanCommand } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { migrateDynamoRecords } from "../../lib/local/recordsMigration.js";
import { DynamoRecordStore } from "../../lib/records/dynamodb.js";
import { DEFAULT_RECORD_SHARDS, parseRecordKey, shardOf } from "../../lib/records/shards.js";
import { scopeKey } from "../../lib/records/prepare.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";
import type { RecordInput, RecordOrigin, RecordScope } from "../../lib/records/types.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { batchWrite } from "../../lib/store/batch.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { UnprocessedItemsError } from "../../lib/store/errors.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig, dynamoEngines, type DynamoEngine } from "../support/engines.js";
import { throttleWrites, type ThrottleModel } from "../support/throttledDynamo.js";

const origin: RecordOrigin = { kind: "pull", id: "run_1", connector_id: "con_1" };
const table = "records-shards";
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function records(count: number, prefix: string): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ source_id: `${prefix}-${i}`, name: `Item ${i}`, vertical_data: { i, pad: "x".repeat(120) } }));
}

describe("records over shards on dynalite, under the per-partition write limit", () => {
  let engine: DynamoEngine;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  let model: ThrottleModel | undefined;
  const scope = (collection: string): RecordScope => ({ tenant: "acme", collection, record_type: "item" });

  beforeAll(async () => {
    engine = await dynamoEngines.find((e) => e.name === "dynalite")!.start();
    client = new DynamoDBClient(dynamoClientConfig(engine.endpoint));
    await ensureTables(client, { control: "control-shards", records: table });
    db = createDocumentClient(client);
  });
  afterEach(() => {
    model?.remove();
    model = undefined;
  });
  afterAll(async () => {
    client?.destroy();
    await engine?.stop();
  });

  /** Items stored per partition key of a scope, counted with a Scan of the whole table. */
  async function itemsPerKey(where: RecordScope): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let start: Record<string, any> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ProjectionExpression: "pk", ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const pk = item.pk!.S!;
        if (pk.startsWith(`${scopeKey(where)}#`)) counts.set(pk, (counts.get(pk) ?? 0) + 1);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return counts;
  }

  async function listAll(store: DynamoRecordStore, where: RecordScope, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(where, { limit, cursor });
      // next_cursor is null exactly when nothing follows: no page after the last is empty.
      expect(page.items.length).toBeGreaterThan(0);
      ids.push(...page.items.map((r) => r.source_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it("spreads 20,000 records of one collection evenly over every shard, and finds each one again", async () => {
    model = throttleWrites(client); // DynamoDB's 1,000 WCU/s per partition key
    const store = new DynamoRecordStore(db, table);
    const where = scope("bulk");
    const batch = records(20_000, "bulk");
    expect(await store.upsert(where, batch, origin)).toEqual({ uploaded: 20_000, duplicates: 0 });

    const counts = await itemsPerKey(where);
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: DEFAULT_RECORD_SHARDS }, (_, s) => `${scopeKey(where)}#${s}`).sort());
    const mean = 20_000 / DEFAULT_RECORD_SHARDS;
    for (const [pk, count] of counts) {
      expect(Math.abs(count - mean) / mean, pk).toBeLessThan(0.3);
      expect(model.writeUnits.get(pk), pk).toBe(count); // ~180-byte items: one unit each
    }

    const ids = batch.map((r) => r.source_id!).sort(byUtf8);
    expect(await listAll(store, where, 1_000)).toEqual(ids);
    // Every 10th by get: one GetItem on its own shard (all 20,000 would take most of the budget).
    const sample = batch.filter((_, i) => i % 10 === 0);
    for (let i = 0; i < sample.length; i += 50) {
      const found = await Promise.all(sample.slice(i, i + 50).map((r) => store.get(where, r.source_id!)));
      expect(found.map((r) => [r.source_id, r.vertical_data])).toEqual(sample.slice(i, i + 50).map((r) => [r.source_id, r.vertical_data]));
    }
    // A later run re-sending them: duplicates (the same run re-reading would count them uploaded, see the contract).
    expect(await store.upsert(where, batch.slice(0, 500), { ...origin, id: "run_2" })).toEqual({ uploaded: 0, duplicates: 500 });
    expect(await store.upsert(where, batch.slice(0, 5), origin)).toEqual({ uploaded: 5, duplicates: 0 });
  }, 30_000);

  it("with one shard under a tight limit the write is throttled, yet completes; shards take it in a fraction of the time", async () => {
    const limit = 200;
    const count = 1_500;
    model = throttleWrites(client, { writeUnitsPerSecond: limit });
    const single = new DynamoRecordStore(db, table, { shards: 1 });
    const one = scope("one-shard");
    let started = performance.now();
    expect(await single.upsert(one, records(count, "one"), origin)).toEqual({ uploaded: count, duplicates: 0 });
    const singleSeconds = (performance.now() - started) / 1000;
    expect(model.throttledTotal).toBeGreaterThan(0);
    expect(model.refusals).toBeGreaterThan(0); // whole batches refused: the SDK error path of batch.ts
    expect([...(await itemsPerKey(one)).entries()]).toEqual([[`${scopeKey(one)}#0`, count]]);
    // The limit bounds the rate: beyond the first second's units, the rest wait for the window.
    expect(singleSeconds).toBeGreaterThan((count - limit) / limit - 1);
    expect(await listAll(single, one, 500)).toHaveLength(count);

    model.reset();
    const sharded = new DynamoRecordStore(db, table, { shards: 8 });
    const many = scope("eight-shards");
    started = performance.now();
    expect(await sharded.upsert(many, records(count, "many"), origin)).toEqual({ uploaded: count, duplicates: 0 });
    const shardedSeconds = (performance.now() - started) / 1000;
    expect((await itemsPerKey(many)).size).toBe(8);
    expect(shardedSeconds).toBeLessThan(singleSeconds / 2);
  }, 30_000);

  it("merges the shards in UTF-8 byte order, page by page, each record once", async () => {
    const store = new DynamoRecordStore(db, table, { shards: 5 });
    const where = scope("merge");
    const ids = Array.from({ length: 60 }, (_, i) => [`m${i}`, `m\ufffd${i}`, `m\u{1F600}${i}`, `M-${i}`, `m\u00e9${i}`][i % 5]!);
    await store.upsert(where, ids.map((source_id) => ({ source_id, name: source_id, vertical_data: {} })), origin);
    expect(new Set(ids.map((id) => shardOf(id, 5))).size).toBe(5);
    const sorted = [...ids].sort(byUtf8);
    for (const limit of [1, 7, 12, 60, 100]) expect(await listAll(store, where, limit)).toEqual(sorted);

    // A page resumes after the cursor's source_id on every shard, wherever that id lives.
    const first = await store.list(where, { limit: 13 });
    const rest = await store.list(where, { limit: 100, cursor: first.next_cursor! });
    expect([...first.items, ...rest.items].map((r) => r.source_id)).toEqual(sorted);
    expect(rest.next_cursor).toBeNull();
  });

  it("copies a dynalite records table of either layout into SQLite (the local runtime's migration)", async () => {
    const legacy = "records-legacy";
    await ensureTables(client, { control: "control-legacy", records: legacy });
    const item = (pk: string, sk: string) => ({ pk, sk, name: sk, vertical_data: '{"v":1}', content_hash: "h", origin, created_at: "2024-01-01T00:00:00.000Z", updated_at: "2024-01-02T00:00:00.000Z" });
    await db.send(new PutCommand({ TableName: legacy, Item: item("REC#acme#shop#item", "unsharded") }));
    await db.send(new PutCommand({ TableName: legacy, Item: item(`REC#acme#shop#item#${shardOf("sharded", 8)}`, "sharded") }));
    await db.send(new PutCommand({ TableName: legacy, Item: item("REC#acme#shop#item#x", "not-a-record-key") }));
    const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-shards-"));
    const sqlite = new SqliteRecordStore(path.join(dir, "records.db"));
    try {
      const copied = await migrateDynamoRecords({ dynamo: client, db, table: legacy, store: sqlite, logger: createLogger("error", () => undefined) });
      expect(copied).toEqual({ copied: 2, total: 2 });
      const where = { tenant: "acme", collection: "shop", record_type: "item" };
      expect((await sqlite.list(where, { limit: 10 })).items.map((r) => [r.source_id, r.vertical_data, r.updated_at])).toEqual([
        ["sharded", { v: 1 }, "2024-01-02T00:00:00.000Z"],
        ["unsharded", { v: 1 }, "2024-01-02T00:00:00.000Z"],
      ]);
    } finally {
      await sqlite.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads both the sharded pk and the unsharded one of earlier versions", () => {
    expect(parseRecordKey("REC#acme#shop#item#7")).toEqual({ tenant: "acme", collection: "shop", record_type: "item", shard: 7 });
    expect(parseRecordKey("REC#acme#shop#item")).toEqual({ tenant: "acme", collection: "shop", record_type: "item" });
    for (const pk of ["REC#acme#shop#item#x", "REC#acme#shop#item#07", "REC#acme#shop", "CON#acme#shop#item", "REC#acme##item", 5]) {
      expect(parseRecordKey(pk), String(pk)).toBeUndefined();
    }
  });
});

describe("batch retries of throttling errors against a stub client", () => {
  const stubTable = "records-stub";
  const fast = { baseDelayMs: 1, maxDelayMs: 5, throttledMaxDelayMs: 5 };
  const throttled = () => new ProvisionedThroughputExceededException({ message: "throttled", $metadata: {} });
  let db: DynamoDBDocumentClient;
  let stub: ReturnType<typeof mockClient>;
  const items = [{ pk: "a", sk: "1" }, { pk: "a", sk: "2" }];

  beforeAll(() => {
    db = DynamoDBDocumentClient.from(new DynamoDBClient(dynamoClientConfig("http://127.0.0.1:9")));
  });
  afterEach(() => stub?.restore());

  it("calls again after ProvisionedThroughputExceededException and ThrottlingException", async () => {
    stub = mockClient(db);
    const throttling = Object.assign(new Error("rate exceeded"), { name: "ThrottlingException" });
    stub.on(BatchWriteCommand).rejectsOnce(throttled()).rejectsOnce(throttling).resolves({});
    await batchWrite(db, stubTable, items, fast);
    expect(stub.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it("gives up after the throttled budget of refused calls in a row, and at once on other errors", async () => {
    stub = mockClient(db);
    stub.on(BatchWriteCommand).rejects(throttled());
    const failing = batchWrite(db, stubTable, items, { ...fast, maxAttempts: 2, throttledMaxAttempts: 5 });
    await expect(failing).rejects.toBeInstanceOf(UnprocessedItemsError);
    await expect(failing).rejects.toMatchObject({ unprocessed: 2 });
    expect(stub.commandCalls(BatchWriteCommand)).toHaveLength(5);

    stub.reset();
    stub.on(BatchWriteCommand).rejects(Object.assign(new Error("bad"), { name: "ValidationException" }));
    await expect(batchWrite(db, stubTable, items, fast)).rejects.toMatchObject({ name: "ValidationException" });
    expect(stub.commandCalls(BatchWriteCommand)).toHaveLength(1);
  });

  it("starts the count again after a call that got items through", async () => {
    stub = mockClient(db);
    const many = Array.from({ length: 6 }, (_, i) => ({ pk: "a", sk: String(i) }));
    // One item through per call, refused calls in between: 6 progressing calls, never 3 stalls in a row.
    let call = 0;
    stub.on(BatchWriteCommand).callsFake((input) => {
      if (call++ % 2 === 1) throw throttled();
      return { UnprocessedItems: { [stubTable]: input.RequestItems[stubTable].slice(1) } };
    });
    await batchWrite(db, stubTable, many, { ...fast, maxAttempts: 3, throttledMaxAttempts: 3 });
    expect(stub.commandCalls(BatchWriteCommand)).toHaveLength(11);
  });
});
