// kill -9 of the local service in the middle of a pull, 10 trials: each time the next start
// resumes the run from its checkpoint under the same run id, and it ends exact — the store holds
// every source row once, the counts are those of one pass, no run is left running.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { postgresWith } from "../support/postgresWith.js";
import { npmStart, type RunningService } from "../support/processes.js";
import type { PostgresServer } from "../support/servers/postgres.js";

const ROWS = 100_000;
const TRIALS = 10;
let server: PostgresServer;
let dataDir: string;
let env: Record<string, string>;
let service: RunningService | undefined;
let key: string;

beforeAll(async () => {
  server = await postgresWith([
    "DROP TABLE IF EXISTS kill_items",
    `CREATE TABLE kill_items AS SELECT i AS id, 'Item ' || i AS name, md5(i::text) AS code, now() - interval '1 hour' AS updated_at FROM generate_series(1, ${ROWS}) AS i`,
    "ALTER TABLE kill_items ADD PRIMARY KEY (id)",
    "ANALYZE kill_items",
  ]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-kill-"));
  // Checkpoints every 100 ms, not every second: often enough to see the progress rise and kill
  // within it, and each still covers several batches, which the resume must read again exactly.
  // The progress is polled every few milliseconds: no per-key rate limit (0) for this client.
  env = { SLUICE_DATA_DIR: dataDir, CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(), LOG_LEVEL: "info", PULL_CHECKPOINT_INTERVAL_MS: "100", RATE_LIMIT_PER_SECOND: "0" };
  service = await npmStart(env);
  key = /sk_local_[A-Za-z0-9_-]{43}/.exec(service.output())![0];
}, 120_000);
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill("SIGKILL");
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown) {
  const response = await fetch(service!.url + route, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
}

function stored(collection: string): { n: number; ids: number } {
  const db = new Database(path.join(dataDir, "records.db"), { readonly: true });
  try {
    return db.prepare("SELECT count(*) AS n, sum(CAST(source_id AS INTEGER)) AS ids FROM records WHERE collection = ?").get(collection) as { n: number; ids: number };
  } finally {
    db.close();
  }
}

describe("kill -9 of the local service mid-pull", () => {
  it.each(Array.from({ length: TRIALS }, (_, i) => i + 1))(
    "trial %i: the restarted service resumes the run and it ends exact",
    async (trial) => {
      const collection = `kill_${trial}`;
      const created = await call("POST", "/api/v1/connectors", {
        name: `kill ${trial}`, connector_type: "postgresql", collection, record_type: "item",
        connection_config: { dsn: server.url }, query: "SELECT id, name, code FROM kill_items WHERE updated_at > :last_pull", batch_size: 500,
        parallelism: trial % 3 === 0 ? 2 : 1,
      });
      expect(created.status).toBe(201);
      const started = await call("POST", `/api/v1/connectors/${created.body.id}/pull?wait=0`);
      expect(started.status).toBe(202);
      const runId = started.body.run_id as string;

      // Killed somewhere between 5 % and 80 % of the rows, as the live progress shows them.
      const target = Math.round(ROWS * (0.05 + Math.random() * 0.75));
      let seen = 0;
      const progress: number[] = [];
      while (seen < target) {
        const run = await call("GET", `/api/v1/runs/${runId}`);
        expect(run.body.status).toBe("running");
        seen = run.body.records_pulled;
        progress.push(seen);
        // Live progress: the planner's estimate of the total, and the chunks checkpointed so far.
        if (seen > 0) expect(run.body).toMatchObject({ records_estimate: expect.any(Number), chunks_done: expect.any(Number), ordered: true });
        if (seen > 0) expect(Math.abs(run.body.records_estimate - ROWS)).toBeLessThan(ROWS / 10);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(new Set(progress).size).toBeGreaterThan(1); // it rose while the pull ran
      service!.child.kill("SIGKILL");
      await service!.exited;
      const before = stored(collection).n;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(ROWS);

      service = await npmStart(env);
      let run;
      const until = Date.now() + 60_000;
      do {
        await new Promise((resolve) => setTimeout(resolve, 100));
        run = (await call("GET", `/api/v1/runs/${runId}`)).body;
      } while (run.status === "running" && Date.now() < until);
      expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0, records_rejected: 0, error: null });
      expect(run.resumes).toBeGreaterThanOrEqual(1);
      expect(stored(collection)).toEqual({ n: ROWS, ids: (ROWS * (ROWS + 1)) / 2 });
      const runs = await call("GET", `/api/v1/connectors/${created.body.id}/runs`);
      expect(runs.body.items.map((r: any) => r.run_id)).toEqual([runId]);
      expect((await call("GET", `/api/v1/connectors/${created.body.id}`)).body).toMatchObject({ status: "active", last_error: null });
    },
    90_000,
  );
});
