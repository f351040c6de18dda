// Connector health from real pulls and connection tests against PostgreSQL: unknown before any,
// healthy, degraded after a failure, failing once most checks of the day failed; runs older
// than 24 hours do not count.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/harness.js";
import { freePort } from "../../support/servers/net.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";

let h: Harness;
let server: PostgresServer;

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS health_items",
    "CREATE TABLE health_items AS SELECT i AS id, 'H' || i AS name FROM generate_series(1, 5) AS i",
  ]);
  h = await startHarness();
}, 180_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

const health = async (id: string) => {
  const response = await h.request("GET", `/api/v1/connectors/${id}/health`);
  expect(response.status, response.text).toBe(200);
  return response.body;
};
const pull = async (id: string) => (await h.request("POST", `/api/v1/connectors/${id}/pull?wait=60`)).body;

it("moves from unknown to healthy, degraded and failing with real pulls and tests", async () => {
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "health", connector_type: "postgresql", collection: "h", record_type: "item", connection_config: { dsn: server.url }, query: "SELECT id, name FROM health_items" },
  });
  const id = created.body.id;
  expect(await health(id)).toEqual({
    connector_id: id, status: "unknown", last_check: null,
    metrics: { success_rate_24h: null, error_rate_24h: null, average_latency_ms: null, total_pulls_24h: 0, records_24h: 0, total_tests_24h: 0 },
    recent_errors: [],
  });

  const ok = await pull(id);
  expect(ok.status).toBe("completed");
  expect((await h.request("POST", `/api/v1/connectors/${id}/test`)).body.status).toBe("success");
  const healthy = await health(id);
  expect(healthy).toMatchObject({ status: "healthy", metrics: { success_rate_24h: 1, error_rate_24h: 0, total_pulls_24h: 1, records_24h: 5, total_tests_24h: 1 }, recent_errors: [] });
  expect(healthy.metrics.average_latency_ms).toBeGreaterThanOrEqual(0);
  expect(healthy.last_check).toEqual(expect.any(String));

  await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { query: "SELECT id, name, 1 / (id - 3) AS boom FROM health_items" } });
  const failed = await pull(id);
  expect(failed.status).toBe("failed");
  const degraded = await health(id);
  expect(degraded).toMatchObject({ status: "degraded", metrics: { total_pulls_24h: 2, success_rate_24h: 0.6667, error_rate_24h: 0.3333 } });
  expect(degraded.recent_errors).toEqual([
    { at: expect.any(String), source: "pull", type: "query_error", message: failed.error.message, code: "22012", run_id: failed.run_id },
  ]);

  await pull(id);
  await pull(id);
  const failing = await health(id);
  expect(failing).toMatchObject({ status: "failing", metrics: { total_pulls_24h: 4, success_rate_24h: 0.4, error_rate_24h: 0.6 } });
  expect(failing.recent_errors).toHaveLength(3);
  expect(failing.recent_errors[0].at >= failing.recent_errors[2].at).toBe(true);

  // Runs older than the window do not count.
  const { runs } = h.service.services;
  const old = { ...(await runs.get("default", ok.run_id)), run_id: "run_00000000000000000000000000", started_at: "2020-01-01T00:00:00.000Z", completed_at: "2020-01-01T00:00:01.000Z" };
  await runs.save(old);
  expect((await health(id)).metrics.total_pulls_24h).toBe(4);
});

it("a connector whose only check is a failed connection test is failing, with the test's error", async () => {
  const dsn = `postgresql://${server.user}:${encodeURIComponent(server.password)}@127.0.0.1:${await freePort()}/${server.database}`;
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "down", connector_type: "postgresql", collection: "h", record_type: "item", connection_config: { dsn }, query: "SELECT 1 AS id" },
  });
  expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/test`)).body.status).toBe("failed");
  const down = await health(created.body.id);
  expect(down).toMatchObject({ status: "failing", metrics: { total_tests_24h: 1, total_pulls_24h: 0, success_rate_24h: 0, average_latency_ms: null } });
  expect(down.recent_errors).toEqual([{ at: expect.any(String), source: "test", type: "connection_refused", message: expect.any(String), code: "ECONNREFUSED" }]);
  expect(JSON.stringify(down)).not.toContain(server.password);
});

it("answers 404 for an unknown connector and serves viewers", async () => {
  expect((await h.request("GET", "/api/v1/connectors/conn_nosuchconnector/health")).status).toBe(404);
  const viewer = (await h.service.services.apiKeys.create({ tenant: "default", role: "viewer" })).key;
  const any = (await h.request("GET", "/api/v1/connectors?include_available=false")).body.items[0].id;
  expect((await h.request("GET", `/api/v1/connectors/${any}/health`, { key: viewer })).status).toBe(200);
});
