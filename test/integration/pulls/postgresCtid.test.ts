// PostgreSQL ctid order against a real server: a table keyed by a macaddr (no key type a key
// order accepts) read by a plain query is split into ranges of heap blocks, read at once and
// resumed from each range's last ctid across many simulated worker invocations; the store ends
// equal to the table and no record carries the ctid. A join, a view, a partitioned table or an
// aggregate falls back to one unordered pass.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynalite, type DynaliteServer } from "../../../lib/local/dynalite.js";
import type { RunRecord } from "../../../lib/pull/types.js";
import type { RecordScope, StoredRecord } from "../../../lib/records/types.js";
import { SqliteRecordStore } from "../../../lib/records/sqlite.js";
import type { Services } from "../../../lib/runtime/services.js";
import type { Row } from "../../../lib/sources/contract.js";
import { PostgresSource } from "../../../lib/sources/postgres.js";
import { CTID_ALIAS, PostgresCtidOrder } from "../../../lib/sources/postgresCtid.js";
import { ensureTables } from "../../../lib/store/tables.js";
import { dynamoClientConfig } from "../../support/engines.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";
import { pullThrough, SimulatedLambda, simulatedServices } from "../../support/simulatedLambda.js";

const ROWS = 50_000;
const QUERY = "SELECT mac, name, code, bucket FROM ctid_devices WHERE seen_at > :last_pull";
const macOf = (i: number) => i.toString(16).padStart(12, "0").replace(/(..)(?!$)/g, "$1:");
let server: PostgresServer;
let admin: pg.Client;
let store: DynaliteServer;
let client: DynamoDBClient;
let dir: string;
const opened: SqliteRecordStore[] = [];

beforeAll(async () => {
  server = await postgresWith([
    // Rows inserted in an order unlike the key's, so the ctid order is no key order in disguise.
    `CREATE TABLE ctid_devices AS SELECT lpad(to_hex((i * 7919) % ${ROWS} + 1), 12, '0')::macaddr AS mac, 'Device ' || ((i * 7919) % ${ROWS} + 1) AS name,
       md5(i::text) AS code, i % 97 AS bucket, now() - interval '1 hour' AS seen_at FROM generate_series(0, ${ROWS - 1}) AS i`,
    "ALTER TABLE ctid_devices ADD PRIMARY KEY (mac)",
    "ANALYZE ctid_devices",
    "CREATE TABLE ctid_owners AS SELECT i AS bucket, 'Owner ' || i AS owner FROM generate_series(0, 96) AS i",
    "CREATE VIEW ctid_devices_view AS SELECT mac, name FROM ctid_devices",
    "CREATE TABLE ctid_parted (mac macaddr, name text, region int) PARTITION BY LIST (region)",
    "CREATE TABLE ctid_parted_1 PARTITION OF ctid_parted FOR VALUES IN (1)",
    "CREATE TABLE ctid_inherited (mac macaddr, name text)",
    "CREATE TABLE ctid_inheriting (region int) INHERITS (ctid_inherited)",
    "CREATE TABLE ctid_snapshot AS SELECT lpad(to_hex(i), 12, '0')::macaddr AS mac, 'Kept ' || i AS name FROM generate_series(1, 3000) AS i",
    "ANALYZE ctid_snapshot", // statistics size its chunks (none: one chunk of 4096 blocks)
    "CREATE TABLE ctid_growing AS SELECT lpad(to_hex(i), 12, '0')::macaddr AS mac, 'Grown ' || i AS name FROM generate_series(1, 3000) AS i",
  ]);
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  store = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "ctid-control" });
  dir = await mkdtemp(path.join(os.tmpdir(), "sluice-ctid-"));
}, 120_000);
afterAll(async () => {
  for (const records of opened) await records.close();
  client?.destroy();
  await store?.close();
  await admin?.end();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function services(lambda: SimulatedLambda): Services {
  const records = new SqliteRecordStore(path.join(dir, "records.db"));
  opened.push(records);
  return simulatedServices(lambda, { dynamo: client, controlTable: "ctid-control", records });
}

async function pull(lambda: SimulatedLambda, collection: string, fields: { query: string; parallelism: number; batch_size: number }) {
  const s = services(lambda);
  const connector = await s.connectors.create("t1", {
    name: collection, connector_type: "postgresql", collection, record_type: "device", connection_config: { dsn: server.url, max_connections: 3 },
    name_column: "name", id_column: "mac", ...fields,
  });
  const run = await pullThrough(s, lambda, "t1", connector.id, 120_000);
  return { run, records: s.records as SqliteRecordStore, scope: { tenant: "t1", collection, record_type: "device" } };
}

async function everyRecord(records: SqliteRecordStore, scope: RecordScope): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await records.list(scope, { limit: 5000, cursor });
    all.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return all;
}

/** The store holds exactly the table's rows, each as the table has it, and no record a ctid. */
async function expectStoreEqualsTable(records: SqliteRecordStore, scope: RecordScope) {
  const stored = await everyRecord(records, scope);
  const { rows } = await admin.query<{ mac: string; name: string; code: string; bucket: number }>("SELECT mac::text, name, code, bucket FROM ctid_devices ORDER BY mac");
  const bySourceId = (a: { source_id: string | null }, b: { source_id: string | null }) => (a.source_id! < b.source_id! ? -1 : 1);
  const got = stored.map(({ source_id, name, vertical_data }) => ({ source_id, name, vertical_data })).sort(bySourceId);
  // One comparison of the whole store: an extra field (the ctid) or a missing row fails it.
  expect(got).toEqual(rows.map(({ mac, name, code, bucket }) => ({ source_id: mac, name, vertical_data: { bucket, code } })));
  expect(stored.some((record) => CTID_ALIAS in record.vertical_data)).toBe(false);
}

const ranges = (run: RunRecord) => Object.values(run.partitions!).map((part) => part.range);

describe("ctid partitions", () => {
  it("parallelism 3 reads three ranges of blocks; the store equals the table, counts exact, no ctid field", async () => {
    const { run, records, scope } = await pull(new SimulatedLambda({ batches: 1_000_000 }), "ctid_whole", { query: QUERY, parallelism: 3, batch_size: 1000 });
    expect(run).toMatchObject({ status: "completed", ordered: true, records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, records_rejected: 0, error: null });
    expect(run.records_estimate).toBeGreaterThan(ROWS / 2);
    const [first, second, last] = ranges(run);
    expect(ranges(run)).toHaveLength(3);
    expect(first).toEqual({ upTo: expect.stringMatching(/^\(\d+,0\)$/) });
    expect(second).toEqual({ after: first!.upTo, upTo: expect.stringMatching(/^\(\d+,0\)$/) });
    expect(last).toEqual({ after: second!.upTo }); // open: blocks added during the run are read too
    for (const part of Object.values(run.partitions!)) {
      expect(part).toMatchObject({ status: "completed", attempts: 0 });
      expect(part.records_pulled).toBeGreaterThan(ROWS / 4);
      expect(part.position).toMatch(/^\(\d+,\d+\)$/);
    }
    await expectStoreEqualsTable(records, scope);
  });

  it("continues across many worker invocations, each range resumed from its last ctid, and ends exact", async () => {
    const lambda = new SimulatedLambda({ batches: 4 });
    const { run, records, scope } = await pull(lambda, "ctid_continued", { query: QUERY, parallelism: 3, batch_size: 500 });
    expect(run).toMatchObject({ status: "completed", ordered: true, records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, error: null });
    // An unordered range would start over in every invocation and never finish in 4 batches.
    expect(run.invocations!).toBeGreaterThan(ROWS / 500 / 4);
    expect(lambda.invocations).toBe(run.invocations);
    // Every batch once: chunk ends add a short batch now and then, nothing is read twice.
    expect(run.chunks_done).toBeGreaterThanOrEqual(ROWS / 500);
    expect(run.chunks_done).toBeLessThan(ROWS / 500 + 30);
    for (const part of Object.values(run.partitions!)) expect(part).toMatchObject({ status: "completed", position: expect.stringMatching(/^\(\d+,\d+\)$/) });
    await expectStoreEqualsTable(records, scope);
  });

  it("a query with a join falls back to one unordered pass, exact as before", async () => {
    const query = "SELECT d.mac, d.name, d.code, d.bucket FROM ctid_devices d JOIN ctid_owners o ON o.bucket = d.bucket WHERE d.seen_at > :last_pull";
    const { run, records, scope } = await pull(new SimulatedLambda({ batches: 1_000_000 }), "ctid_join", { query, parallelism: 3, batch_size: 2000 });
    expect(run).toMatchObject({ status: "completed", ordered: false, records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0 });
    expect(ranges(run)).toEqual([{}]);
    await expectStoreEqualsTable(records, scope);
  });
});

describe("the ctid order of a source", () => {
  const ALL = { last_pull: null };
  const open = () => new PostgresSource({ dsn: server.url }, { connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 });

  it("reads each chunk of blocks with a TID Range Scan, sorting only that chunk", async () => {
    const source = open();
    try {
      const order = await source.keyOrder(QUERY, ALL, "mac");
      expect(order).toBeInstanceOf(PostgresCtidOrder);
      const [range] = await order!.split(3);
      const statements = [...(await (order as PostgresCtidOrder).statements(range!, [new Date(0)], 500, (text, values) => admin.query({ text, values })))];
      expect(statements.length).toBeGreaterThan(1);
      for (const { text, values } of statements) {
        const { rows } = await admin.query({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
        const plan = rows[0]["QUERY PLAN"][0].Plan;
        expect(plan["Node Type"]).toBe("Sort");
        expect(plan.Plans[0]["Node Type"]).toBe("Tid Range Scan");
        expect(plan.Plans[0]["Plan Rows"]).toBeLessThan(ROWS / 3);
      }
    } finally {
      await source.close();
    }
  });

  it("gives views, partitioned and inherited tables, aggregates, set-returning functions and joins no order", async () => {
    const source = open();
    try {
      for (const query of [
        "SELECT mac, name FROM ctid_devices_view",
        "SELECT mac, name FROM ctid_parted",
        "SELECT mac, name FROM ctid_inherited",
        "SELECT count(*) AS n, 'all' AS name FROM ctid_devices",
        "SELECT unnest(ARRAY[1, 2]) AS n, name FROM ctid_devices",
        "SELECT d.mac, d.name FROM ctid_devices d, ctid_owners o WHERE o.bucket = d.bucket",
        "SELECT mac, name FROM ctid_devices WHERE bucket IN (SELECT bucket FROM ctid_owners)",
      ]) {
        expect(await source.keyOrder(query, ALL, "mac"), query).toBeUndefined();
      }
      // A key type the key order takes still orders by the key, not the ctid.
      expect(await source.keyOrder("SELECT bucket, name FROM ctid_devices", ALL, "bucket")).not.toBeInstanceOf(PostgresCtidOrder);
    } finally {
      await source.close();
    }
  });

  it("reads a range's chunks in one snapshot: rows deleted mid-read from chunks not yet read are still read", async () => {
    const source = open();
    try {
      const order = (await source.keyOrder("SELECT mac, name FROM ctid_snapshot", ALL, "mac"))!;
      const [range] = await order.split(1);
      const rows: Row[] = [];
      let deleted = false;
      // Batches of 20: chunks of about 320 rows, so the range is read by several cursors.
      for await (const batch of source.read("SELECT mac, name FROM ctid_snapshot", ALL, 20, { order, range: range! })) {
        rows.push(...batch);
        if (!deleted) {
          await admin.query("DELETE FROM ctid_snapshot WHERE name::text > 'Kept 2'"); // most rows, in every later chunk
          deleted = true;
        }
      }
      expect(rows).toHaveLength(3000);
      expect(new Set(rows.map((row) => row.mac)).size).toBe(3000);
    } finally {
      await source.close();
    }
  });

  it("reads rows added in new blocks after the split in the last, open range", async () => {
    const source = open();
    try {
      const order = (await source.keyOrder("SELECT mac, name FROM ctid_growing", ALL, "mac"))!;
      const split = await order.split(2);
      expect(split).toHaveLength(2);
      await admin.query("INSERT INTO ctid_growing SELECT lpad(to_hex(i), 12, '0')::macaddr, 'Grown ' || i FROM generate_series(3001, 6000) AS i");
      const rows: Row[] = [];
      for (const range of split) for await (const batch of source.read("SELECT mac, name FROM ctid_growing", ALL, 400, { order, range })) rows.push(...batch);
      expect(rows).toHaveLength(6000);
      expect(new Set(rows.map((row) => row.mac)).size).toBe(6000);
      expect(Object.keys(rows[0]!)).toEqual(["mac", "name"]);
      expect(rows.at(-1)!.mac).toBe(macOf(6000));
      // Positions increase through the read, so a resume after any row skips exactly what came before.
      const positions = rows.map((row) => order.positionOf(row) as string).map((ctid) => ctid.slice(1, -1).split(",").map(Number));
      for (let i = 1; i < positions.length; i++) {
        const [a, b] = [positions[i - 1]!, positions[i]!];
        expect(a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!)).toBe(true);
      }
    } finally {
      await source.close();
    }
  });
});
