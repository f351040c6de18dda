// Pulled rows are validated like pushed records: with a schema on the connector's collection,
// rows that fail it (and rows without a name) are not stored, count as records_rejected on the
// run, and are read as the run's dead-letter entries. Against a real PostgreSQL.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/harness.js";
import { startPostgres, type PostgresServer } from "../../support/servers/postgres.js";

let h: Harness;
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query("DROP TABLE IF EXISTS screened");
  await client.query("CREATE TABLE screened (id integer PRIMARY KEY, name text, stock integer)");
  // Every 10th row has negative stock (fails the schema), row 25 has no name.
  await client.query("INSERT INTO screened SELECT i, CASE WHEN i = 25 THEN NULL ELSE 'Item ' || i END, CASE WHEN i % 10 = 0 THEN -i ELSE i END FROM generate_series(1, 60) AS i");
  await client.end();
  h = await startHarness();
}, 180_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

async function pullInto(collection: string) {
  const created = await h.request("POST", "/api/v1/connectors", {
    body: {
      name: collection,
      connector_type: "postgresql",
      collection,
      record_type: "item",
      connection_config: { dsn: server.url },
      query: "SELECT id, name, stock FROM screened ORDER BY id",
      batch_size: 25,
    },
  });
  expect(created.status, created.text).toBe(201);
  const run = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=60`);
  expect(run.status, run.text).toBe(200);
  return run.body;
}

it("rejects rows failing the collection's schema into the run's dead-letter entries", async () => {
  const schema = { type: "object", properties: { stock: { type: "integer", minimum: 0 } }, required: ["stock"] };
  expect((await h.request("PUT", "/api/v1/schemas/screened/item", { body: { schema } })).status).toBe(201);
  const run = await pullInto("screened");
  expect(run).toMatchObject({ status: "completed", records_pulled: 60, records_uploaded: 53, records_rejected: 7 });
  expect((await h.request("GET", `/api/v1/runs/${run.run_id}`)).body.records_rejected).toBe(7);

  const stored = await h.request("GET", "/api/v1/records/screened/item?limit=100");
  expect(stored.body.items).toHaveLength(53);
  expect(stored.body.items.map((r: { source_id: string }) => r.source_id)).not.toContain("10");

  const errors = await h.request("GET", `/api/v1/ingestions/${run.run_id}/errors?limit=100`);
  expect(errors.status).toBe(200);
  expect(errors.body.items.map((e: { row: number }) => e.row)).toEqual([10, 20, 25, 30, 40, 50, 60]);
  expect(errors.body.items[0]).toMatchObject({ ingestion_id: run.run_id, source_id: "10", schema_errors: [{ path: "/stock", message: "must be >= 0" }] });
  expect(errors.body.items[2]).toMatchObject({ row: 25, error: 'row has no value in name_column "name"' });
});

it("without a schema stores every named row; only the nameless one is a dead letter", async () => {
  const run = await pullInto("unscreened");
  expect(run).toMatchObject({ status: "completed", records_pulled: 60, records_uploaded: 59, records_rejected: 1 });
  const errors = await h.request("GET", `/api/v1/ingestions/${run.run_id}/errors`);
  expect(errors.body.items).toEqual([expect.objectContaining({ row: 25 })]);
  expect((await h.request("GET", "/api/v1/ingestions/run_unknown/errors")).status).toBe(404);
});
