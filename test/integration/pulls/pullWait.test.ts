// How long `POST /pull` holds the request: `?wait=` seconds, but never past what the runtime
// allows (PULL_MAX_WAIT_SECONDS; the AWS stack sets 25, under API Gateway's 30 s). Run records
// read back without the tenant, which is always the caller's own.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/harness.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";

let h: Harness;
let server: PostgresServer;

beforeAll(async () => {
  server = await postgresWith(["DROP TABLE IF EXISTS wait_items", "CREATE TABLE wait_items AS SELECT 1 AS id, 'slow' AS name"]);
  h = await startHarness({ PULL_MAX_WAIT_SECONDS: "1" });
}, 180_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

it("answers 202 once the runtime's longest wait has passed, whatever ?wait= asked", async () => {
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "slow", connector_type: "postgresql", collection: "w", record_type: "row", connection_config: { dsn: server.url }, query: "SELECT id, name FROM wait_items, pg_sleep(3) AS s" },
  });
  const started = Date.now();
  const answer = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=60`);
  expect(answer.status).toBe(202);
  expect(Date.now() - started).toBeLessThan(2_500);

  let run = (await h.request("GET", `/api/v1/runs/${answer.body.run_id}`)).body;
  for (let i = 0; i < 100 && run.status === "running"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    run = (await h.request("GET", `/api/v1/runs/${answer.body.run_id}`)).body;
  }
  expect(run).toMatchObject({ run_id: answer.body.run_id, status: "completed", records_pulled: 1 });
  expect(run).not.toHaveProperty("tenant");
  const history = (await h.request("GET", `/api/v1/connectors/${created.body.id}/runs`)).body;
  expect(history.items).toHaveLength(1);
  expect(history.items[0]).not.toHaveProperty("tenant");
});
