// A data dir written by the previous version (records in dynalite's records table) is copied into
// records.db on the first start of the SQLite data plane: every record with its timestamps and
// hash, counted in the log, the old table dropped. An interrupted copy resumes where it stopped.
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DescribeTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { startDynalite } from "../../lib/local/dynalite.js";
import { migrateDynamoRecords } from "../../lib/local/recordsMigration.js";
import { startLocalService, type LocalService } from "../../lib/local/server.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { createDocumentClient, createDynamoClient } from "../../lib/store/client.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function start(dataDir: string, env: Record<string, string>, logs: string[] = []): Promise<LocalService> {
  const config = loadConfig("local", { SLUICE_DATA_DIR: dataDir, PORT: "0", CONNECTOR_ENCRYPTION_KEY: env.KEY!, LOG_LEVEL: "info", ...env });
  return startLocalService(config, createLogger("info", (line) => logs.push(line)));
}

async function call(service: LocalService, key: string, method: string, route: string, body?: unknown) {
  const response = await fetch(service.url + route, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function listAll(service: LocalService, key: string, route: string) {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(service, key, "GET", `${route}?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

/** A data dir as the previous version left it: records pushed with RECORDS_STORE=dynamodb. */
async function oldDataDir(count: number) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-migrate-"));
  dirs.push(dataDir);
  const KEY = Fernet.generateKey();
  const old = await start(dataDir, { KEY, RECORDS_STORE: "dynamodb" });
  const key = old.bootstrapKey!;
  for (let offset = 0; offset < count; offset += 1000) {
    const records = Array.from({ length: Math.min(1000, count - offset) }, (_, i) => ({ name: `Item ${offset + i}`, source_id: `item-${String(offset + i).padStart(5, "0")}`, price: offset + i }));
    const pushed = await call(old, key, "POST", "/api/v1/ingest/shop/item/batch", { records });
    expect(pushed.body).toMatchObject({ accepted: records.length, rejected: 0 });
  }
  // Keyless records too: they are keyed by content hash, the key must survive the copy.
  await call(old, key, "POST", "/api/v1/ingest/shop/note/batch", { records: [{ name: "keyless", text: "hello" }] });
  const before = await listAll(old, key, "/api/v1/records/shop/item");
  await old.close();
  await expect(stat(path.join(dataDir, "records.db"))).rejects.toThrow();
  return { dataDir, KEY, key, before };
}

describe("records from a data dir of the previous version", () => {
  it("are copied into records.db on the first start, counted in the log, and the old table is dropped", async () => {
    const { dataDir, KEY, key, before } = await oldDataDir(1234);
    expect(before).toHaveLength(1234);

    const logs: string[] = [];
    const service = await start(dataDir, { KEY }, logs);
    try {
      expect(service.bootstrapKey).toBeUndefined(); // the same control plane: the old key works
      const after = await listAll(service, key, "/api/v1/records/shop/item");
      expect(after).toEqual(before); // timestamps, hashes and origins as they were
      expect((await listAll(service, key, "/api/v1/records/shop/note")).map((r) => r.name)).toEqual(["keyless"]);
      const copied = logs.map((line) => JSON.parse(line)).find((entry) => entry.message === "records copied from dynalite into records.db");
      expect(copied).toMatchObject({ copied: 1235, records_in_sqlite: 1235 });

      // New writes land in SQLite and count against the copied records as usual.
      const again = await call(service, key, "POST", "/api/v1/ingest/shop/item/batch", { records: [{ name: "Item 0", source_id: "item-00000", price: 0 }] });
      expect(again.body).toMatchObject({ accepted: 1, duplicates_skipped: 1 });
    } finally {
      await service.close();
    }
    const sqlite = new SqliteRecordStore(path.join(dataDir, "records.db"));
    expect(sqlite.count()).toBe(1235);
    await sqlite.close();

    // A second start has nothing to copy.
    const logs2: string[] = [];
    const restarted = await start(dataDir, { KEY }, logs2);
    await restarted.close();
    expect(logs2.filter((line) => line.includes("dynalite into records.db"))).toEqual([]);
  });

  it("resume after an interrupted copy: every record once, none twice", async () => {
    const { dataDir, before } = await oldDataDir(1234);
    const store = await startDynalite({ path: path.join(dataDir, "dynalite") });
    const dynamo = createDynamoClient({ endpoint: store.endpoint, region: "us-east-1" });
    const sqlite = new SqliteRecordStore(path.join(dataDir, "records.db"));
    const logs: string[] = [];
    const deps = { dynamo, db: createDocumentClient(dynamo), table: "sluice-records", store: sqlite, logger: createLogger("info", (line) => logs.push(line)), pageSize: 100 };
    try {
      const interrupted = migrateDynamoRecords({
        ...deps,
        afterPage: (copied) => {
          if (copied >= 500) throw new Error("killed mid-copy");
        },
      });
      await expect(interrupted).rejects.toThrow("killed mid-copy");
      expect(sqlite.count()).toBe(500);

      const resumed = await migrateDynamoRecords(deps);
      expect(resumed).toEqual({ copied: 735, total: 1235 });
      expect(sqlite.count()).toBe(1235);
      const items = (await sqlite.list({ tenant: "default", collection: "shop", record_type: "item" }, { limit: 2000 })).items;
      expect(items).toEqual(before);
      await expect(dynamo.send(new DescribeTableCommand({ TableName: "sluice-records" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
      expect(await migrateDynamoRecords(deps)).toEqual({ copied: 0, total: 1235 });
      await expect(dynamo.send(new ScanCommand({ TableName: "sluice-records" }))).rejects.toThrow();
    } finally {
      await sqlite.close();
      dynamo.destroy();
      await store.close();
    }
  });
});
