// AWS limits simulated: a worker whose invocations end after a few batches forces a 100,000-row pull
// through many continuations, each resuming from the run's checkpoint. Afterwards the store equals
// the source, the run is one run with exact counts, and with parallelism its partitions all ended.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynalite, type DynaliteServer } from "../../lib/local/dynalite.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";
import type { Services } from "../../lib/runtime/services.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig } from "../support/engines.js";
import { postgresWith } from "../support/postgresWith.js";
import type { PostgresServer } from "../support/servers/postgres.js";
import { pullThrough, SimulatedLambda, simulatedServices } from "../support/simulatedLambda.js";

const ROWS = 100_000;
let server: PostgresServer;
let store: DynaliteServer;
let client: DynamoDBClient;
let dir: string;
const opened: SqliteRecordStore[] = [];

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS big_items",
    `CREATE TABLE big_items AS SELECT i AS id, 'Item ' || i AS name, md5(i::text) AS code, i % 97 AS bucket, now() - interval '1 hour' AS updated_at FROM generate_series(1, ${ROWS}) AS i`,
    "ALTER TABLE big_items ADD PRIMARY KEY (id)",
    "ANALYZE big_items",
  ]);
  store = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "cont-control" });
  dir = await mkdtemp(path.join(os.tmpdir(), "sluice-cont-"));
}, 120_000);
afterAll(async () => {
  for (const records of opened) await records.close();
  client?.destroy();
  await store?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function services(lambda: SimulatedLambda, env: Record<string, string> = {}): Services {
  const records = new SqliteRecordStore(path.join(dir, "records.db"));
  opened.push(records);
  return simulatedServices(lambda, { dynamo: client, controlTable: "cont-control", records, env });
}

const pullOnce = (s: Services, lambda: SimulatedLambda, connectorId: string) => pullThrough(s, lambda, "t1", connectorId, 90_000);

describe("a pull under a simulated worker deadline", () => {
  it.each([1, 3])("continues across invocations from its checkpoint (parallelism %i): the store is exact, the run is one run", async (parallelism) => {
    const lambda = new SimulatedLambda({ batches: 6 });
    const s = services(lambda);
    const collection = `cont_${parallelism}`;
    const connector = await s.connectors.create("t1", {
      name: "big", connector_type: "postgresql", collection, record_type: "item", connection_config: { dsn: server.url },
      query: "SELECT id, name, code, bucket FROM big_items WHERE updated_at > :last_pull", batch_size: 2000, parallelism,
    });
    const run = await pullOnce(s, lambda, connector.id);
    expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, records_rejected: 0, ordered: true, error: null });
    expect(Object.keys(run.partitions!)).toHaveLength(parallelism);
    expect(Object.values(run.partitions!).every((p) => p.status === "completed")).toBe(true);
    expect(Object.values(run.partitions!).reduce((sum, p) => sum + p.records_pulled, 0)).toBe(ROWS);
    expect(run.chunks_done).toBe(Object.values(run.partitions!).reduce((sum, p) => sum + p.chunks_done, 0));
    expect(run.chunks_done).toBeGreaterThanOrEqual(ROWS / 2000);
    // Several invocations were needed, and the run counted them.
    expect(run.invocations!).toBeGreaterThan(parallelism + 2);
    expect(lambda.invocations).toBe(run.invocations);

    const scope = { tenant: "t1", collection, record_type: "item" };
    const records = s.records as SqliteRecordStore;
    expect(records.count(scope)).toBe(ROWS);
    const sample = await records.get(scope, "54321");
    expect(sample).toMatchObject({ name: "Item 54321", vertical_data: { bucket: 54321 % 97 }, origin: { kind: "pull", id: run.run_id } });
    const history = await s.runs.listForConnector("t1", connector.id, { limit: 10 });
    expect(history.items.map((r) => r.run_id)).toEqual([run.run_id]);
    expect(await s.connectorRepository.get("t1", connector.id)).toMatchObject({ status: "active", last_error: null });

    // An unchanged re-pull across continuations: every row a duplicate, nothing written.
    const again = await pullOnce(s, lambda, connector.id);
    expect(again).toMatchObject({ status: "completed", records_pulled: 0, records_uploaded: 0 });
  });

  it("an unchanged full re-pull across continuations counts every row as a duplicate", async () => {
    const lambda = new SimulatedLambda({ batches: 5 });
    const s = services(lambda);
    const connector = await s.connectors.create("t1", {
      name: "full", connector_type: "postgresql", collection: "cont_full", record_type: "item", connection_config: { dsn: server.url },
      query: "SELECT id, name, code FROM big_items WHERE id <= 40000", batch_size: 2500,
    });
    expect(await pullOnce(s, lambda, connector.id)).toMatchObject({ status: "completed", records_pulled: 40_000, records_uploaded: 40_000, duplicates_skipped: 0 });
    const again = await pullOnce(s, lambda, connector.id);
    expect(again).toMatchObject({ status: "completed", records_pulled: 40_000, records_uploaded: 0, duplicates_skipped: 40_000 });
    expect(again.invocations!).toBeGreaterThan(1);
  });

  it("a run that needs more invocations than PULL_MAX_INVOCATIONS fails clearly, its checkpoint kept", async () => {
    const lambda = new SimulatedLambda({ batches: 10 });
    const s = services(lambda, { PULL_MAX_INVOCATIONS: "2" });
    const connector = await s.connectors.create("t1", {
      name: "capped", connector_type: "postgresql", collection: "cont_cap", record_type: "item", connection_config: { dsn: server.url },
      query: "SELECT id, name FROM big_items", batch_size: 1000,
    });
    const run = await pullOnce(s, lambda, connector.id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ type: "invocation_limit", message: expect.stringMatching(/more than 2 worker invocations \(PULL_MAX_INVOCATIONS\)/) });
    expect(run.records_pulled).toBeGreaterThan(0);
    expect(run.records_pulled).toBeLessThan(ROWS);
    expect(run.partitions!["0"]!.position).toBe(run.records_pulled); // ids 1..n in order: the last stored key
    expect(await s.connectorRepository.get("t1", connector.id)).toMatchObject({ status: "error" });
    expect(await s.leases.isHeld(`pull#t1#${connector.id}`)).toBe(false);
  });
});
