// Push ingestion against the store, on dynalite and on AWS's DynamoDB Local: the stream's
// backpressure (the body is not read while writes are pending), write ordering, dead-letter
// order and paging, schemas seen across processes, webhook secrets at rest.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { EnvelopeCodec } from "../../lib/crypto/envelope.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import { IngestionFailedError } from "../../lib/ingest/errors.js";
import { IngestionRepository } from "../../lib/ingest/ingestionRepository.js";
import { IngestService } from "../../lib/ingest/ingestService.js";
import { SchemaRegistry } from "../../lib/ingest/schemaRegistry.js";
import { WebhookSecrets } from "../../lib/ingest/webhookSecrets.js";
import type { RecordStore } from "../../lib/records/contract.js";
import { DynamoRecordStore } from "../../lib/records/dynamodb.js";
import type { RecordInput, RecordOrigin, RecordScope, UpsertResult } from "../../lib/records/types.js";
import { dynamoEngines, useDynamoEngine } from "../support/engines.js";
import { secrets } from "../support/harness.js";

/** The real store, with every upsert held until the test opens the gate. */
class GatedRecordStore extends DynamoRecordStore {
  open = false;
  private waiting: (() => void)[] = [];
  calls = 0;
  active = 0;
  maxActive = 0;

  release(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  override async upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (!this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
      return await super.upsert(scope, records, origin);
    } finally {
      this.active--;
    }
  }
}

/** A body that produces one chunk of `linesPerChunk` NDJSON lines per read, and counts reads. */
function countingBody(chunks: number, linesPerChunk: number) {
  const state = { pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const n = state.pulls++;
        if (n === chunks) return controller.close();
        const lines = Array.from({ length: linesPerChunk }, (_, i) => JSON.stringify({ name: `r${n}-${i}`, source_id: `${n * linesPerChunk + i}`, pad: "x".repeat(200) }));
        controller.enqueue(new TextEncoder().encode(lines.join("\n") + "\n"));
      },
    },
    { highWaterMark: 0 }, // nothing is read ahead of the consumer
  );
  return { stream, state };
}

describe.each(dynamoEngines)("ingestion store on $name", (engine) => {
  const tables = { control: `ingest-control-${engine.name}`, records: `ingest-records-${engine.name}` };
  const handle = useDynamoEngine(engine, tables);
  const scope = (record_type: string): RecordScope => ({ tenant: "t1", collection: "c", record_type });

  function service(records: RecordStore, batch = 10, inFlight = 2) {
    return new IngestService({
      records,
      ingestions: new IngestionRepository(handle.db, tables.control),
      schemas: new SchemaRegistry(handle.db, tables.control),
      limits: { maxRecords: 1000, streamBatchSize: batch, streamMaxInFlight: inFlight },
    });
  }

  it("pauses the body while the bounded writes are pending, then finishes", async () => {
    const records = new GatedRecordStore(handle.db, tables.records);
    const { stream, state } = countingBody(50, 10);
    const done = service(records).stream(scope("gated"), stream);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Two batches in flight, the third waiting for a slot: the reader stopped after 3 chunks
    // (plus at most the one the stream pulls when its reader asks) of 50.
    expect(records.calls).toBe(2);
    expect(state.pulls).toBeLessThanOrEqual(4);
    records.release();
    const summary = await done;
    expect(summary).toMatchObject({ lines: 500, record_count: 500, accepted: 500, rejected: 0 });
    expect(state.pulls).toBe(51);
    expect(records.maxActive).toBe(2);
    const stored = await records.list(scope("gated"), { limit: 1000 });
    expect(stored.items).toHaveLength(500);
  });

  it("counts an identical keyless record in a batch written at the same time as a duplicate", async () => {
    const records = new GatedRecordStore(handle.db, tables.records);
    const lines = [{ name: "same", v: 1 }, { name: "same", v: 1 }, { name: "other", v: 2 }].map((line) => JSON.stringify(line)).join("\n");
    const done = service(records, 1, 2).stream(scope("keyless"), new Response(lines).body!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    records.release();
    expect(await done).toMatchObject({ record_count: 3, accepted: 3, duplicates_skipped: 1 });
    expect((await records.list(scope("keyless"), { limit: 10 })).items).toHaveLength(2);
  });

  it("a body that breaks off keeps what was stored and says so, in the error and the ingestion record", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 3) return controller.error(new Error("socket hang up"));
        controller.enqueue(new TextEncoder().encode(Array.from({ length: 10 }, (_, i) => JSON.stringify({ name: `b${sent * 10 + i}` })).join("\n") + "\n"));
        sent++;
      },
    });
    const error = await service(new DynamoRecordStore(handle.db, tables.records)).stream(scope("broken"), body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestionFailedError);
    const { summary, reason } = error as IngestionFailedError;
    expect(reason).toBe("body");
    expect(summary).toMatchObject({ status: "failed", lines: 30, accepted: 30 });
    const record = await new IngestionRepository(handle.db, tables.control).get("t1", summary.ingestion_id);
    expect(record).toMatchObject({ status: "failed", accepted: 30, error: { type: "body_interrupted" } });
    expect((await new DynamoRecordStore(handle.db, tables.records).list(scope("broken"), { limit: 100 })).items).toHaveLength(30);
  });

  it("a failed write ends the stream with what was stored before it", async () => {
    class FailingStore extends DynamoRecordStore {
      calls = 0;
      override async upsert(s: RecordScope, r: RecordInput[], o: RecordOrigin): Promise<UpsertResult> {
        if (++this.calls === 3) throw new Error("throttled for good");
        return super.upsert(s, r, o);
      }
    }
    const { stream } = countingBody(10, 10);
    const error = await service(new FailingStore(handle.db, tables.records), 10, 1).stream(scope("failing"), stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestionFailedError);
    expect((error as IngestionFailedError).reason).toBe("store");
    expect((error as IngestionFailedError).summary).toMatchObject({ status: "failed", accepted: 20 });
    const record = await new IngestionRepository(handle.db, tables.control).get("t1", (error as IngestionFailedError).summary.ingestion_id);
    expect(record.error).toEqual({ type: "store_error", message: "storing failed; see the service log" });
  });

  it("a failure of ours while reading a stream is not blamed on the body", async () => {
    class DownRepository extends IngestionRepository {
      override async save(): Promise<void> {
        throw new Error("control table unavailable");
      }
    }
    const down = new IngestService({
      records: new DynamoRecordStore(handle.db, tables.records),
      ingestions: new DownRepository(handle.db, tables.control),
      schemas: new SchemaRegistry(handle.db, tables.control),
      limits: { maxRecords: 1000, streamBatchSize: 10, streamMaxInFlight: 2 },
    });
    await expect(down.stream(scope("down"), countingBody(2, 10).stream)).rejects.toThrow("control table unavailable");

    class ThrowingSchemas extends SchemaRegistry {
      override async validatorFor() {
        let seen = 0;
        return () => {
          if (++seen === 25) throw new Error("validator bug");
          return undefined;
        };
      }
    }
    const buggy = new IngestService({
      records: new DynamoRecordStore(handle.db, tables.records),
      ingestions: new IngestionRepository(handle.db, tables.control),
      schemas: new ThrowingSchemas(handle.db, tables.control),
      limits: { maxRecords: 1000, streamBatchSize: 10, streamMaxInFlight: 2 },
    });
    const error = await buggy.stream(scope("buggy"), countingBody(5, 10).stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestionFailedError);
    expect((error as IngestionFailedError).reason).toBe("store");
    expect((error as IngestionFailedError).summary).toMatchObject({ status: "failed", accepted: 20 });
    const record = await new IngestionRepository(handle.db, tables.control).get("t1", (error as IngestionFailedError).summary.ingestion_id);
    expect(record).toMatchObject({ status: "failed", accepted: 20, error: { type: "store_error" } });
  });

  it("dead-letter entries keep their order past any digit count, and page", async () => {
    const lines = Array.from({ length: 25 }, (_, i) => (i % 2 ? "nope" : JSON.stringify({ name: `ok${i}` }))).join("\n");
    const body = new Response(lines).body!;
    const summary = await service(new DynamoRecordStore(handle.db, tables.records), 4, 1).stream(scope("dlq"), body);
    expect(summary).toMatchObject({ lines: 25, accepted: 13, rejected: 12 });
    const repo = new IngestionRepository(handle.db, tables.control);
    const first = await repo.listDeadLetters("t1", summary.ingestion_id, { limit: 10 });
    const second = await repo.listDeadLetters("t1", summary.ingestion_id, { limit: 10, cursor: first.next_cursor! });
    expect([...first.items, ...second.items].map((e) => e.line)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    expect(first.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const items = (await handle.db.send(new ScanCommand({ TableName: tables.control }))).Items ?? [];
    expect(items.find((item) => item.pk === `TENANT#t1#DLQ#${summary.ingestion_id}`)?.expires_at).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  });

  it("a schema changed by another process is seen at the next lookup", async () => {
    const a = new SchemaRegistry(handle.db, tables.control);
    const b = new SchemaRegistry(handle.db, tables.control);
    const s = scope("schemas");
    expect(await b.validatorFor(s)).toBeUndefined();
    await a.put(s, { type: "object", required: ["x"] });
    const first = await b.validatorFor(s);
    expect(first!({})).toEqual([{ path: "", message: "must have required property 'x'" }]);
    expect(await b.validatorFor(s)).toBe(first); // compiled once while unchanged
    await a.put(s, { type: "object" });
    expect((await b.validatorFor(s))!({})).toBeUndefined();
    await a.remove(s);
    expect(await b.validatorFor(s)).toBeUndefined();
  });

  it("keeps a tenant's webhook secret as an envelope bound to the tenant", async () => {
    const codec = new EnvelopeCodec(new LocalKeyProvider(KeyRing.parse(Fernet.generateKey())));
    const store = new WebhookSecrets(handle.db, tables.control, codec, secrets.webhookSecret);
    expect(await store.secretFor("w1")).toBe(secrets.webhookSecret);
    await store.set("w1", secrets.tenantWebhookSecret);
    expect(await store.secretFor("w1")).toBe(secrets.tenantWebhookSecret);
    expect(await store.secretFor("w2")).toBe(secrets.webhookSecret);
    const items = (await handle.db.send(new ScanCommand({ TableName: tables.control }))).Items ?? [];
    const item = items.find((i) => i.pk === "TENANT#w1" && i.sk === "WEBHOOK_SECRET")!;
    expect(JSON.stringify(item)).not.toContain(secrets.tenantWebhookSecret);
    // Moved to another tenant's key, the envelope does not open (encryption context).
    await expect(codec.open(item.envelope, { tenant: "w2", connector_id: "webhook-secret" })).rejects.toThrow();
    await store.remove("w1");
    expect(await store.status("w1")).toEqual({ source: "environment", updated_at: null });
  });

  it("re-wraps webhook secrets under a new primary key; the old key can then be dropped", async () => {
    const oldKey = Fernet.generateKey();
    const newKey = Fernet.generateKey();
    const codec = (keys: string) => new EnvelopeCodec(new LocalKeyProvider(KeyRing.parse(keys)));
    const before = new WebhookSecrets(handle.db, tables.control, codec(oldKey), undefined);
    await before.set("r1", secrets.tenantWebhookSecret);
    const during = new WebhookSecrets(handle.db, tables.control, codec(`${newKey},${oldKey}`), undefined);
    expect(await during.rotateEnvelopes()).toEqual({ scanned: 1, rewrapped: 1 });
    expect(await during.rotateEnvelopes()).toEqual({ scanned: 1, rewrapped: 0 });
    const after = new WebhookSecrets(handle.db, tables.control, codec(newKey), undefined);
    expect(await after.secretFor("r1")).toBe(secrets.tenantWebhookSecret);
  });
});
