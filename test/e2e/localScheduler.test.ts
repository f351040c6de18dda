// The local runtime's scheduler, wired for real: a slot missed while the service was down
// fires once when it starts again (one run with trigger "schedule", not one per missed slot);
// and an HTTP pull whose worker runs elsewhere is answered from the run record.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { createApp } from "../../lib/http/app.js";
import { startLocalService } from "../../lib/local/server.js";
import type { Dispatcher } from "../../lib/dispatch/contract.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { startPostgres, type PostgresServer } from "../support/servers/postgres.js";

let server: PostgresServer;
let dataDir: string;
const env = () => ({ SLUICE_DATA_DIR: dataDir, PORT: "0", CONNECTOR_ENCRYPTION_KEY: key, LOG_LEVEL: "error" });
const key = Fernet.generateKey();
const quiet = createLogger("error", () => undefined);

beforeAll(async () => {
  server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query("DROP TABLE IF EXISTS ticks");
  await client.query("CREATE TABLE ticks AS SELECT i AS id, 'Tick ' || i AS name FROM generate_series(1, 5) AS i");
  await client.end();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-sched-"));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it("fires a slot missed during downtime once on start", async () => {
  const first = await startLocalService(loadConfig("local", env()), quiet);
  const { services } = first;
  const made = await services.connectors.create("default", {
    name: "hourly", connector_type: "postgresql", collection: "ticks", record_type: "tick",
    connection_config: { dsn: server.url }, query: "SELECT id, name FROM ticks", schedule: "0 * * * *",
  });
  // As if the service had been down for five hours since the last slot it fired.
  await services.connectorRepository.setState("default", made.id, { last_scheduled_at: new Date(Date.now() - 5 * 3_600_000).toISOString() });
  await first.close();

  const second = await startLocalService(loadConfig("local", env()), quiet);
  let runs = await second.services.runs.listForConnector("default", made.id, { limit: 10 });
  for (let i = 0; i < 50 && !runs.items.some((r) => r.status === "completed"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    runs = await second.services.runs.listForConnector("default", made.id, { limit: 10 });
  }
  expect(runs.items).toHaveLength(1);
  expect(runs.items[0]).toMatchObject({ trigger: "schedule", status: "completed", records_pulled: 5 });
  const connector = await second.services.connectors.get("default", made.id);
  expect(new Date(connector.last_scheduled_at!).getTime()).toBeGreaterThan(Date.now() - 3_600_000);
  await second.close();
});

it("answers an HTTP pull from the run record when the worker runs elsewhere", async () => {
  const service = await startLocalService(loadConfig("local", env()), quiet);
  const { services } = service;
  const made = await services.connectors.create("default", {
    name: "remote", connector_type: "postgresql", collection: "ticks", record_type: "remote",
    connection_config: { dsn: server.url }, query: "SELECT id, name FROM ticks, pg_sleep(0.5) AS s",
  });
  // A dispatcher like the Lambda one: hands over, returns nothing to wait on.
  const remote: Dispatcher = {
    dispatch: async (job) => {
      setTimeout(() => void job.run(), 50);
      return {};
    },
    drain: async () => undefined,
  };
  const app = createApp({ ...services, dispatcher: remote });
  const auth = { authorization: `Bearer ${(await services.apiKeys.create({ tenant: "default", role: "editor" })).key}` };
  const finished = await app.request(`/api/v1/connectors/${made.id}/pull?wait=10`, { method: "POST", headers: auth });
  expect(finished.status).toBe(200);
  expect(await finished.json()).toMatchObject({ status: "completed", records_pulled: 5 });
  const pending = await app.request(`/api/v1/connectors/${made.id}/pull?wait=0.1`, { method: "POST", headers: auth });
  expect(pending.status).toBe(202);
  const { run_id } = (await pending.json()) as { run_id: string };
  for (let i = 0; i < 50 && (await services.runs.get("default", run_id)).status === "running"; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await services.runs.get("default", run_id)).status).toBe("completed");
  await service.close();
});
