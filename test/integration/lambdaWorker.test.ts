// The pull worker Lambda, driven with the EventBridge Scheduler payload: it pulls under the
// lease, and a second trigger meeting the running pull records a skipped run and succeeds
// (so Scheduler does not retry).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ConnectorRepository } from "../../lib/connectors/repository.js";
import { ConnectorService } from "../../lib/connectors/service.js";
import { EnvelopeCodec } from "../../lib/crypto/envelope.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import { startDynalite, type DynaliteServer } from "../../lib/local/dynalite.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig } from "../support/engines.js";
import { startPostgres, type PostgresServer } from "../support/servers/postgres.js";

let store: DynaliteServer;
let client: DynamoDBClient;
let server: PostgresServer;
let connectorId: string;
type Handler = (event: unknown) => Promise<{ run_id?: string; status?: string }>;
let handler: Handler;

beforeAll(async () => {
  server = await startPostgres();
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query("DROP TABLE IF EXISTS worker_items");
  await db.query("CREATE TABLE worker_items AS SELECT i AS id, 'W ' || i AS name FROM generate_series(1, 12) AS i");
  await db.end();
  store = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "worker-control", records: "worker-records" });
  const key = Fernet.generateKey();
  const connectors = new ConnectorService({
    repository: new ConnectorRepository(createDocumentClient(client), "worker-control"),
    envelopes: new EnvelopeCodec(new LocalKeyProvider(KeyRing.parse(key))),
  });
  connectorId = (
    await connectors.create("t1", {
      name: "worker", connector_type: "postgresql", collection: "w", record_type: "item",
      connection_config: { dsn: server.url }, query: "SELECT id, name FROM worker_items, pg_sleep(1) AS s", schedule: "0 2 * * *",
    })
  ).id;
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: store.endpoint, CONTROL_TABLE: "worker-control", RECORDS_TABLE: "worker-records",
    CONNECTOR_ENCRYPTION_KEY: key, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_REGION: "us-east-1", LOG_LEVEL: "error",
    // The AWS runtime refuses private hosts by default; the test's PostgreSQL is on loopback.
    ALLOW_PRIVATE_NETWORKS: "true",
  });
  handler = (await import("../../functions/pullWorker.js")).handler as Handler;
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await store?.close();
  await server?.stop();
});

it("runs a scheduled pull; a trigger meeting it is recorded as skipped and succeeds", async () => {
  const event = { tenant: "t1", connector_id: connectorId };
  const [first, second] = await Promise.all([handler(event), new Promise((r) => setTimeout(r, 300)).then(() => handler(event))]);
  expect(first).toMatchObject({ status: "completed", run_id: expect.stringMatching(/^run_/) });
  expect(second).toMatchObject({ status: "skipped" });
  expect(await handler({ malformed: true })).toEqual({});
});
