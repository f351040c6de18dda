// A pulled row the store cannot hold — an id of 2,000 characters, a row past the item limit — is a
// dead-letter entry of the run, counted in records_rejected, while the pull goes on; the watermark
// advances, so the next pull does not stop at the same row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/harness.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";

let server: PostgresServer;
let h: Harness;

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS poison",
    "CREATE TABLE poison (id text PRIMARY KEY, name text, body text, updated_at timestamptz DEFAULT now() - interval '1 hour')",
    "INSERT INTO poison (id, name, body) SELECT 'row-' || lpad(i::text, 4, '0'), 'Row ' || i, 'ok' FROM generate_series(1, 500) AS i",
    "INSERT INTO poison (id, name, body) VALUES (repeat('x', 2000), 'long id', 'ok'), ('row-0250b', 'huge', repeat('y', 400000))",
  ]);
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

describe("poison rows in a pull", () => {
  it("become dead-letter entries of the run; every other row is stored and the next pull goes on", async () => {
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: "poison", connector_type: "postgresql", collection: "poison", record_type: "row", connection_config: { dsn: server.url }, query: "SELECT id, name, body FROM poison WHERE updated_at > :last_pull", batch_size: 100 },
    });
    const run = (await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=60`)).body;
    expect(run).toMatchObject({ status: "completed", records_pulled: 502, records_uploaded: 500, records_rejected: 2 });
    const errors = (await h.request("GET", `/api/v1/ingestions/${run.run_id}/errors`)).body.items;
    expect(errors).toHaveLength(2);
    expect(errors.map((e: any) => e.error).sort()).toEqual([
      expect.stringMatching(/bytes serialized; at most 358400 are stored/),
      expect.stringMatching(/source_id is longer than 1024 bytes/),
    ]);
    for (const entry of errors) expect(entry.row).toEqual(expect.any(Number));
    expect((await h.request("GET", "/api/v1/records/poison/row/row-0251")).body.name).toBe("Row 251");

    const connector = (await h.request("GET", `/api/v1/connectors/${created.body.id}`)).body;
    expect(connector).toMatchObject({ status: "active", last_error: null });
    const next = (await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=60`)).body;
    expect(next).toMatchObject({ status: "completed", records_pulled: 0 }); // past the watermark
  });
});
