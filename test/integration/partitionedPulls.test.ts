// Partitioned pulls on one machine, against a real PostgreSQL: the key range split over several
// connections read at once, within max_connections; a partition whose connection the server kills
// is tried again from its checkpoint and the run still ends exact; one that keeps failing fails
// the run after its tries, with every partition's progress kept in the run record.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { postgresWith } from "../support/postgresWith.js";
import type { PostgresServer } from "../support/servers/postgres.js";

const ROWS = 60_000;
let server: PostgresServer;
let h: Harness;
let admin: pg.Client;

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS part_items",
    `CREATE TABLE part_items AS SELECT i * 3 AS id, 'Item ' || i AS name, md5(i::text) AS code FROM generate_series(1, ${ROWS}) AS i`,
    "ALTER TABLE part_items ADD PRIMARY KEY (id)",
  ]);
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await admin?.end();
  await server?.stop();
});

async function connector(collection: string, parallelism: number, extra: Record<string, unknown> = {}) {
  const created = await h.request("POST", "/api/v1/connectors", {
    body: {
      name: collection, connector_type: "postgresql", collection, record_type: "item", connection_config: { dsn: server.url, max_connections: 4 },
      query: "SELECT id, name, code FROM part_items, pg_sleep(0) AS s", batch_size: 1000, parallelism, ...extra,
    },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.id as string;
}

/** Sluice's connections to the server now. */
async function pullConnections(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'sluice'");
  return Number(rows[0]!.n);
}

async function pullWatching(id: string, during: () => Promise<void>) {
  const started = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`);
  expect(started.status).toBe(202);
  let run;
  do {
    await during();
    run = (await h.request("GET", `/api/v1/runs/${started.body.run_id}`)).body;
  } while (run.status === "running");
  return run;
}

describe("partitioned pulls", () => {
  it("parallelism 3 reads three key ranges at once over at most three connections, and the store is exact", async () => {
    const id = await connector("part_ok", 3);
    let most = 0;
    const run = await pullWatching(id, async () => {
      most = Math.max(most, await pullConnections());
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
    expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, ordered: true });
    const parts = Object.values(run.partitions) as any[];
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).toMatchObject({ status: "completed", attempts: 0, claimed_until: 0 });
    // Ranges of about equal size over ids 3..180000, touching end to end.
    for (const part of parts) expect(part.records_pulled).toBeGreaterThan(ROWS / 4);
    expect(parts[0].range.after).toBeUndefined();
    expect(parts[1].range.after).toBe(parts[0].range.upTo);
    expect(parts[2].range).toEqual({ after: parts[1].range.upTo });
    expect(most).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(3);
    const page = await h.request("GET", "/api/v1/records/part_ok/item?limit=1");
    expect(page.body.items[0]).toMatchObject({ source_id: "100002", name: "Item 33334" }); // source_id order is text order
    expect(await pullConnections()).toBe(0); // every connection closed
  });

  it("refuses parallelism above max_connections, saying which to change", async () => {
    const response = await h.request("POST", "/api/v1/connectors", {
      body: { name: "too many", connector_type: "postgresql", collection: "x", record_type: "y", connection_config: { dsn: server.url, max_connections: 2 }, query: "SELECT 1", parallelism: 3 },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "parallelism", message: expect.stringMatching(/max_connections \(2\)/) });
    const defaulted = await h.request("POST", "/api/v1/connectors", {
      body: { name: "default", connector_type: "postgresql", collection: "x", record_type: "y", connection_config: { dsn: server.url }, query: "SELECT 1", parallelism: 6 },
    });
    expect(defaulted.body).toMatchObject({ field: "parallelism", message: expect.stringMatching(/max_connections \(5\)/) });
  });

  it("a partition whose connection the server kills is tried again from its checkpoint; the run ends exact", async () => {
    const id = await connector("part_killed", 2);
    let killed = 0;
    const run = await pullWatching(id, async () => {
      if (killed === 0) {
        // One reader (its last statement a FETCH, busy or between two), as soon as there is one.
        const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'sluice' AND query LIKE 'FETCH%' LIMIT 1");
        killed += rows.length;
      }
      await new Promise((resolve) => setTimeout(resolve, killed === 0 ? 1 : 20));
    });
    expect(killed).toBe(1);
    expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, error: null });
    const attempts = (Object.values(run.partitions) as any[]).map((part) => part.attempts);
    expect(attempts.reduce((a: number, b: number) => a + b, 0)).toBe(1);
  });

  it("a partition that keeps failing fails the run after its tries, every partition's progress kept", async () => {
    const id = await connector("part_failing", 2, { batch_size: 200 });
    const run = await pullWatching(id, async () => {
      // Every reader (its last statement a FETCH, busy or between two), not the planner's
      // queries, a few milliseconds apart: no try reads more than a sliver of its 30,000 rows.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice' AND query LIKE 'FETCH%'");
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ type: expect.stringMatching(/query_error|connection_refused|timeout/) });
    const parts = Object.values(run.partitions) as any[];
    expect(parts.some((part) => part.status === "failed" && part.attempts === 2)).toBe(true);
    expect(run.records_pulled).toBe(parts.reduce((sum, part) => sum + part.records_pulled, 0));
    expect((await h.request("GET", `/api/v1/connectors/${id}`)).body).toMatchObject({ status: "error" });
    expect(await h.service.services.leases.isHeld(`pull#default#${id}`)).toBe(false);
  }, 60_000);
});
