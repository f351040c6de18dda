// The records contract suite (content-hash dedupe, upsert by source_id, paging, scoping, limits),
// run unchanged on every adapter: SQLite, and DynamoDB on dynalite and on DynamoDB Local. Then
// the DynamoDB adapter's batch retries of unprocessed items against a stub client.
import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../lib/errors.js";
import { contentHash } from "../../lib/records/contentHash.js";
import { DynamoRecordStore } from "../../lib/records/dynamodb.js";
import { MAX_RECORD_BYTES } from "../../lib/records/prepare.js";
import type { RecordInput, RecordOrigin, RecordScope } from "../../lib/records/types.js";
import { batchGet, batchWrite } from "../../lib/store/batch.js";
import { encodeCursor } from "../../lib/store/cursor.js";
import { UnprocessedItemsError } from "../../lib/store/errors.js";
import { dynamoClientConfig } from "../support/engines.js";
import { recordEngines, useRecordEngine } from "../support/recordEngines.js";

const pullOrigin: RecordOrigin = { kind: "pull", id: "run_1", connector_id: "con_1" };
const pushOrigin: RecordOrigin = { kind: "push", id: "ing_1" };

/**
 * An independent reference for the canonical form: sorted deep copy, then JSON.stringify
 * (right for these fixtures; a copy would reorder integer-like keys, see contentHash.test.ts).
 */
function referenceHash(name: string, vertical_data: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]))
        : value;
  return createHash("sha256").update(JSON.stringify(sorted({ name, vertical_data }))).digest("hex");
}

function products(count: number, prefix = "p"): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    source_id: `${prefix}-${String(i).padStart(4, "0")}`,
    name: `Product ${i}`,
    vertical_data: { price: i * 1.5, tags: ["a", i], nested: { z: true, a: [{ y: 1, x: "é" }] }, none: null },
  }));
}

describe.each(recordEngines)("records on $name", (engine) => {
  const scope = (collection: string, tenant = "acme"): RecordScope => ({ tenant, collection, record_type: "product" });
  const handle = useRecordEngine(engine);
  const store = (now?: () => Date) => handle.store(now ? { now } : {});

  it("uploads new records, skips identical re-sends, and rewrites only what changed", async () => {
    let clock = Date.parse("2024-03-01T10:00:00.000Z");
    const records = store(() => new Date(clock));
    const where = scope("upsert");
    const batch = products(250);

    expect(await records.upsert(where, batch, pullOrigin)).toEqual({ uploaded: 250, duplicates: 0 });
    clock += 60_000;
    expect(await records.upsert(where, batch, { kind: "pull", id: "run_2" })).toEqual({ uploaded: 0, duplicates: 250 });

    clock += 60_000;
    const changed = batch.map((record, i) => (i === 17 ? { ...record, vertical_data: { ...record.vertical_data, price: 99 } } : record));
    expect(await records.upsert(where, changed, { kind: "pull", id: "run_3" })).toEqual({ uploaded: 1, duplicates: 249 });

    const rewritten = await records.get(where, "p-0017");
    expect(rewritten).toMatchObject({
      source_id: "p-0017",
      name: "Product 17",
      vertical_data: { ...batch[17]!.vertical_data, price: 99 },
      created_at: "2024-03-01T10:00:00.000Z",
      updated_at: "2024-03-01T10:02:00.000Z",
      origin: { kind: "pull", id: "run_3" },
    });
    expect(rewritten.updated_at > rewritten.created_at).toBe(true);
    expect(rewritten.content_hash).toBe(referenceHash("Product 17", rewritten.vertical_data));
    // A duplicate is not written: neither its timestamps nor its origin move.
    expect(await records.get(where, "p-0018")).toEqual({
      ...batch[18],
      content_hash: contentHash(batch[18]!.name, batch[18]!.vertical_data),
      origin: pullOrigin,
      created_at: "2024-03-01T10:00:00.000Z",
      updated_at: "2024-03-01T10:00:00.000Z",
    });
  });

  it("keys a record without source_id by its content hash", async () => {
    const records = store();
    const where = scope("anonymous");
    const anon = { name: "anon", vertical_data: { a: 1, b: [1, 2] } };
    const key = `sha256:${referenceHash("anon", anon.vertical_data)}`;

    expect(await records.upsert(where, [anon], pushOrigin)).toEqual({ uploaded: 1, duplicates: 0 });
    expect(await records.get(where, key)).toMatchObject({ source_id: key, ...anon, origin: pushOrigin });
    expect(await records.upsert(where, [{ ...anon, source_id: null }], pushOrigin)).toEqual({ uploaded: 0, duplicates: 1 });

    const edited = { name: "anon", vertical_data: { a: 1, b: [2, 1] } };
    expect(await records.upsert(where, [edited], pushOrigin)).toEqual({ uploaded: 1, duplicates: 0 });
    const page = await records.list(where, { limit: 10 });
    expect(page.items.map((r) => r.source_id).sort()).toEqual([key, `sha256:${referenceHash("anon", edited.vertical_data)}`].sort());
  });

  it("hashes canonical JSON: key order inside vertical_data does not matter, array order does", async () => {
    const one = { b: { d: [{ y: 2, x: 1 }], c: "ü" }, a: 1 };
    const other = { a: 1, b: { c: "ü", d: [{ x: 1, y: 2 }] } };
    expect(contentHash("n", one)).toBe(contentHash("n", other));
    expect(contentHash("n", one)).toBe(referenceHash("n", other));
    expect(contentHash("n", { list: [1, 2] })).not.toBe(contentHash("n", { list: [2, 1] }));
    expect(contentHash("n", one)).not.toBe(contentHash("m", one));

    const records = store();
    const where = scope("key-order");
    expect(await records.upsert(where, [{ source_id: "k", name: "n", vertical_data: one }], pushOrigin)).toEqual({ uploaded: 1, duplicates: 0 });
    expect(await records.upsert(where, [{ source_id: "k", name: "n", vertical_data: other }], pushOrigin)).toEqual({ uploaded: 0, duplicates: 1 });
  });

  it("keeps the last of a source_id sent twice in one batch", async () => {
    const records = store();
    const where = scope("twice");
    const a1 = { source_id: "a", name: "A", vertical_data: { v: 1 } };
    const a2 = { source_id: "a", name: "A", vertical_data: { v: 2 } };
    const b = { source_id: "b", name: "B", vertical_data: { v: 1 } };
    // a1 is superseded (not counted), the first b is a duplicate of the second.
    expect(await records.upsert(where, [a1, b, a2, b], pushOrigin)).toEqual({ uploaded: 2, duplicates: 1 });
    expect((await records.get(where, "a")).vertical_data).toEqual({ v: 2 });

    // The last one equals what is stored: nothing is written, a1 never replaces it.
    expect(await records.upsert(where, [a1, a2], pushOrigin)).toEqual({ uploaded: 0, duplicates: 1 });
    expect((await records.get(where, "a")).vertical_data).toEqual({ v: 2 });
    expect((await records.list(where, { limit: 10 })).items).toHaveLength(2);
  });

  it("counts what the same pull run stored unchanged as uploaded (a resumed run re-reading its last batch), nothing else", async () => {
    const records = store();
    const where = scope("resumed");
    const batch = products(20, "r");
    expect(await records.upsert(where, batch, pullOrigin)).toEqual({ uploaded: 20, duplicates: 0 });
    const before = await records.get(where, "r-0003");
    // The same run again (after its checkpoint): uploaded, as the first time; created_at kept.
    expect(await records.upsert(where, batch.slice(0, 10), pullOrigin)).toEqual({ uploaded: 10, duplicates: 0 });
    expect(await records.get(where, "r-0003")).toMatchObject({ created_at: before.created_at, content_hash: before.content_hash, origin: pullOrigin });
    // Another run, or a push (even one ingestion's later batch), finds them unchanged: duplicates.
    expect(await records.upsert(where, batch, { kind: "pull", id: "run_2", connector_id: "con_1" })).toEqual({ uploaded: 0, duplicates: 20 });
    expect(await records.upsert(where, batch, pushOrigin)).toEqual({ uploaded: 0, duplicates: 20 });
    expect(await records.upsert(where, batch, pushOrigin)).toEqual({ uploaded: 0, duplicates: 20 });
  });

  it("lists 250 records in pages of 100, each exactly once, in source_id order", async () => {
    const records = store();
    const where = scope("paging");
    await records.upsert(where, products(250, "q"), pushOrigin);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await records.list(where, { limit: 100, cursor });
      expect(page.items.length).toBeLessThanOrEqual(100);
      seen.push(...page.items.map((r) => r.source_id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBeLessThanOrEqual(4);
    expect(seen).toEqual(products(250, "q").map((r) => r.source_id));
  });

  it("answers NotFoundError for a missing record", async () => {
    const records = store();
    await expect(records.get(scope("upsert"), "p-9999")).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.get(scope("upsert"), "")).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.get(scope("nothing-here"), "p-0001")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("shows another tenant nothing, not even through a cursor", async () => {
    const records = store();
    const where = scope("tenancy");
    await records.upsert(where, products(5, "t"), pushOrigin);
    const first = await records.list(where, { limit: 2 });
    expect(first.items).toHaveLength(2);

    const other = scope("tenancy", "globex");
    expect(await records.list(other, { limit: 10 })).toEqual({ items: [], next_cursor: null });
    await expect(records.get(other, "t-0000")).rejects.toBeInstanceOf(NotFoundError);
    await expect(records.list(other, { limit: 10, cursor: first.next_cursor! })).rejects.toBeInstanceOf(ValidationError);
    const forged = encodeCursor({ pk: "REC#acme#tenancy#product" })!;
    await expect(records.list(where, { limit: 10, cursor: forged })).rejects.toBeInstanceOf(ValidationError);
    // '#' separates the key parts; allowing it would let one scope name another's partition.
    await expect(records.list({ tenant: "acme", collection: "tenancy#product", record_type: "x" }, { limit: 1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("refuses ids and names that are not valid Unicode instead of merging them, and malformed cursors", async () => {
    const records = store();
    const where = scope("unicode");
    for (const bad of [
      { source_id: "k\ud800", name: "x", vertical_data: {} },
      { source_id: "k\udfff", name: "x", vertical_data: {} },
      { source_id: "k", name: "lone \ud800", vertical_data: {} },
    ]) {
      await expect(records.upsert(where, [bad], pushOrigin)).rejects.toBeInstanceOf(ValidationError);
    }
    // The replacement character itself is a valid id, distinct from its neighbours.
    const fine = ["k\ufffd", "k\u{1F600}", "k"].map((source_id) => ({ source_id, name: "x", vertical_data: { s: "\ud800 in data is escaped JSON" } }));
    expect(await records.upsert(where, fine, pushOrigin)).toEqual({ uploaded: 3, duplicates: 0 });
    expect((await records.list(where, { limit: 10 })).items.map((r) => r.source_id)).toEqual(["k", "k\ufffd", "k\u{1F600}"]);
    expect((await records.get(where, "k\ufffd")).vertical_data).toEqual({ s: "\ud800 in data is escaped JSON" });
    await expect(records.get(where, "k\ud800")).rejects.toBeInstanceOf(NotFoundError);

    const page = await records.list(where, { limit: 1 });
    expect(page.next_cursor).toEqual(expect.any(String));
    for (const cursor of ["%%%", "bm90IGpzb24", encodeCursor({ pk: "REC#acme#unicode#product", sk: 5 } as never)!, encodeCursor({ pk: "REC#acme#other#product", sk: "k" })!]) {
      await expect(records.list(where, { limit: 1, cursor })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(records.list(scope("other"), { limit: 1, cursor: page.next_cursor! })).rejects.toBeInstanceOf(ValidationError);
    await expect(records.list(where, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("rejects a batch with an oversize or invalid record before writing any of it", async () => {
    const records = store();
    const where = scope("oversize");
    const batch = products(30, "big");
    batch[27] = { source_id: "big-0027", name: "huge", vertical_data: { blob: "x".repeat(MAX_RECORD_BYTES) } };
    const rejected = records.upsert(where, batch, pushOrigin);
    await expect(rejected).rejects.toBeInstanceOf(ValidationError);
    await expect(rejected).rejects.toThrow(/"big-0027"/);

    for (const invalid of [
      { name: "", vertical_data: {} },
      { name: "x", source_id: "", vertical_data: {} },
      { name: "x", source_id: "é".repeat(513), vertical_data: {} },
      { name: "x", vertical_data: [] as unknown as Record<string, unknown> },
      { name: "x", vertical_data: { n: 1n } },
    ]) {
      await expect(records.upsert(where, [...products(3, "ok"), invalid], pushOrigin)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await records.list(where, { limit: 100 })).toEqual({ items: [], next_cursor: null });

    // Just under the limit is stored: the headroom keeps it under DynamoDB's 400 KB item limit.
    const large = { source_id: "large", name: "large", vertical_data: { blob: "y".repeat(MAX_RECORD_BYTES - 100) } };
    expect(await records.upsert(where, [large], pushOrigin)).toEqual({ uploaded: 1, duplicates: 0 });
    expect((await records.get(where, "large")).vertical_data).toEqual(large.vertical_data);
  });
});

describe("batch retries against a stub client", () => {
  const table = "records-stub";
  let db: DynamoDBDocumentClient;
  let stub: ReturnType<typeof mockClient>;
  const fast = { baseDelayMs: 1, maxDelayMs: 5 };

  beforeAll(() => {
    db = DynamoDBDocumentClient.from(new DynamoDBClient(dynamoClientConfig("http://127.0.0.1:9")));
  });
  afterEach(() => stub?.restore());

  it("upsert writes again what BatchWriteItem left unprocessed", async () => {
    stub = mockClient(db);
    stub.on(BatchGetCommand).resolves({ Responses: { [table]: [] } });
    stub
      .on(BatchWriteCommand)
      .callsFakeOnce((input) => ({ UnprocessedItems: { [table]: input.RequestItems[table].slice(1, 3) } }))
      .resolves({});
    const result = await new DynamoRecordStore(db, table, { batch: fast }).upsert(scope(), products(4), pushOrigin);
    expect(result).toEqual({ uploaded: 4, duplicates: 0 });

    const writes = stub.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems![table]!);
    expect(writes).toHaveLength(2);
    expect(writes[0]!.map((r) => r.PutRequest!.Item!.sk)).toEqual(["p-0000", "p-0001", "p-0002", "p-0003"]);
    expect(writes[1]!.map((r) => r.PutRequest!.Item!.sk)).toEqual(["p-0001", "p-0002"]);
  });

  it("gives up with UnprocessedItemsError after the bounded attempts", async () => {
    stub = mockClient(db);
    stub.on(BatchWriteCommand).callsFake((input) => ({ UnprocessedItems: { [table]: input.RequestItems[table].slice(0, 1) } }));
    const failing = batchWrite(db, table, [{ pk: "a", sk: "1" }, { pk: "a", sk: "2" }], { ...fast, maxAttempts: 3 });
    await expect(failing).rejects.toBeInstanceOf(UnprocessedItemsError);
    await expect(failing).rejects.toMatchObject({ operation: "BatchWriteItem", unprocessed: 1 });
    expect(stub.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it("reads again what BatchGetItem left unprocessed", async () => {
    stub = mockClient(db);
    stub
      .on(BatchGetCommand)
      .callsFakeOnce((input) => ({
        Responses: { [table]: [{ pk: "a", sk: "1" }] },
        UnprocessedKeys: { [table]: { ...input.RequestItems[table], Keys: [{ pk: "a", sk: "2" }] } },
      }))
      .resolves({ Responses: { [table]: [{ pk: "a", sk: "2" }] } });
    const found = await batchGet(db, table, [{ pk: "a", sk: "1" }, { pk: "a", sk: "2" }], ["pk", "sk"], fast);
    expect(found).toEqual([{ pk: "a", sk: "1" }, { pk: "a", sk: "2" }]);
    const calls = stub.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems![table]!);
    expect(calls[1]).toMatchObject({ Keys: [{ pk: "a", sk: "2" }], ProjectionExpression: "#p0, #p1" });
  });

  it("splits into chunks of 25 puts and 100 keys, with a bounded number in flight", async () => {
    stub = mockClient(db);
    let inFlight = 0;
    let most = 0;
    const slow = async <T>(value: T): Promise<T> => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return value;
    };
    stub.on(BatchWriteCommand).callsFake(() => slow({}));
    stub.on(BatchGetCommand).callsFake(() => slow({ Responses: { [table]: [] } }));
    const items = Array.from({ length: 160 }, (_, i) => ({ pk: "a", sk: String(i) }));

    await batchWrite(db, table, items, { concurrency: 2 });
    const sizes = stub.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems![table]!.length);
    expect(sizes).toEqual([25, 25, 25, 25, 25, 25, 10]);
    expect(most).toBe(2);

    await batchGet(db, table, items);
    expect(stub.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems![table]!.Keys!.length)).toEqual([100, 60]);
  });

  function scope(): RecordScope {
    return { tenant: "acme", collection: "stub", record_type: "product" };
  }
});
