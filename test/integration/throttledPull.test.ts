// A pull into the DynamoDB data plane under a model of DynamoDB's per-partition write limit
// (test/support/throttledDynamo.ts), as a worker on AWS would meet it: the pull completes exact
// through throttled and unprocessed writes, its writes spread over the collection's shards.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import { startDynalite, type DynaliteServer } from "../../lib/local/dynalite.js";
import type { RunRecord } from "../../lib/pull/types.js";
import { DEFAULT_RECORD_SHARDS } from "../../lib/records/shards.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { createServices, type Services } from "../../lib/runtime/services.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig } from "../support/engines.js";
import { postgresWith } from "../support/postgresWith.js";
import type { PostgresServer } from "../support/servers/postgres.js";
import { SimulatedLambda } from "../support/simulatedLambda.js";
import { throttleWrites, type ThrottleModel } from "../support/throttledDynamo.js";

const ROWS = 6000;
let server: PostgresServer;
let store: DynaliteServer;
let client: DynamoDBClient;
let model: ThrottleModel;
let services: Services;

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS throttled_items",
    `CREATE TABLE throttled_items AS SELECT i AS id, 'Item ' || i AS name, repeat(md5(i::text), 4) AS pad FROM generate_series(1, ${ROWS}) AS i`,
    "ALTER TABLE throttled_items ADD PRIMARY KEY (id)",
  ]);
  store = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "thr-control", records: "thr-records" });
  // A tight limit, so that this pull meets it on every shard within a few seconds.
  model = throttleWrites(client, { writeUnitsPerSecond: 200 });
  const lambda = new SimulatedLambda(2000);
  services = createServices({
    config: loadConfig("aws", { CONTROL_TABLE: "thr-control", RECORDS_TABLE: "thr-records", CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(), PULL_DEADLINE_MARGIN_SECONDS: "0", ALLOW_PRIVATE_NETWORKS: "true" }),
    logger: createLogger("error"),
    dynamo: client,
    keyProvider: new LocalKeyProvider(KeyRing.parse(Fernet.generateKey())),
    keyEnvironment: "live",
    dispatcher: lambda,
  });
  lambda.services = services;
}, 120_000);
afterAll(async () => {
  model?.remove();
  client?.destroy();
  await store?.close();
  await server?.stop();
});

it("a pull into the sharded DynamoDB data plane completes exact under the per-partition write limit", async () => {
  const connector = await services.connectors.create("t1", {
    name: "throttled", connector_type: "postgresql", collection: "thr", record_type: "item", connection_config: { dsn: server.url },
    query: "SELECT id, name, pad FROM throttled_items", batch_size: 500,
  });
  const begun = await services.runner.begin("t1", connector.id, "manual");
  await services.dispatcher.dispatch(services.runner.job(begun));
  let run: RunRecord;
  const until = Date.now() + 100_000;
  do {
    await new Promise((resolve) => setTimeout(resolve, 200));
    run = await services.runs.get("t1", begun.run.run_id);
  } while (run.status === "running" && Date.now() < until);
  expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, error: null });
  expect(model.throttledTotal).toBeGreaterThan(0); // the limit was met, and the pull went through it

  model.remove();
  const counts = new Map<string, number>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await createDocumentClient(client).send(new ScanCommand({ TableName: "thr-records", ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) counts.set(item.pk as string, (counts.get(item.pk as string) ?? 0) + 1);
    start = page.LastEvaluatedKey;
  } while (start);
  expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(ROWS);
  expect(counts.size).toBe(DEFAULT_RECORD_SHARDS);
  for (const n of counts.values()) expect(Math.abs(n - ROWS / DEFAULT_RECORD_SHARDS)).toBeLessThan((ROWS / DEFAULT_RECORD_SHARDS) * 0.3);
  expect((await services.records.get({ tenant: "t1", collection: "thr", record_type: "item" }, "4321")).name).toBe("Item 4321");
}, 120_000);
