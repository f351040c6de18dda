// One pull suite for every source type, run against a real server: full pull in several
// batches, incremental pulls from the watermark, updated rows, late rows at the boundary,
// unchanged re-pulls as duplicates, connection tests and their typed failures, and a query
// that fails mid-stream. Each type supplies a fixture that knows its server and its SQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

export type Config = Record<string, unknown>;

export interface PullTarget {
  config: Config;
  /** Configs that must fail a connection test, with the error type each must give. */
  failures: { label: string; config: Config; type: string }[];
  /** Rows id 1..count named "Product <id>", updated_at = now - ageSeconds. */
  seed(count: number, ageSeconds: number): Promise<void>;
  /** Changes a row's name and sets its updated_at to now. */
  touch(id: number, name: string): Promise<void>;
  /** Adds a row whose updated_at is the given instant (a late commit). */
  insertAt(id: number, updatedAt: Date): Promise<void>;
  queries: { incremental: string; full: string; failing: string };
  /** The failing query errors after at least one full batch was read. */
  failsMidStream: boolean;
  /** How the rows' updated_at reads once normalised: ISO 8601 text, or epoch milliseconds. */
  timestamps?: "iso" | "epoch_ms";
  /** Checks, where the server can tell, that the first pull came in several batches. */
  assertStreamed?: () => void;
  /** The secrets in `config`, which no response or log line may contain. */
  secrets: string[];
  stop(): Promise<void>;
}

export interface PullFixture {
  type: "postgresql" | "mysql" | "mongodb" | "neo4j" | "redis" | "redshift";
  /**
   * False where the source has no watermark (Redis: SCAN reads every key each time): the
   * incremental tests then check that a re-pull reads every row and writes only what changed.
   */
  incremental?: false;
  /** Fields every connector of the suite gets (an id_column where the default is not `id`). */
  connector?: Config;
  /** A query that takes about 2 s and returns one row (id, name); only where the server can sleep. */
  slowQuery?: string;
  start(): Promise<PullTarget>;
}

const ROWS = 250;
const BATCH = 100;

export function definePullSuite(fixture: PullFixture): void {
  describe(`${fixture.type} pulls against a real server`, () => {
    let h: Harness;
    let target: PullTarget;
    let incrementalId: string;
    let fullId: string;
    const collection = `it_${fixture.type}`;

    const create = async (name: string, query: string, extra: Config = {}) => {
      const response = await h.request("POST", "/api/v1/connectors", {
        body: { name, connector_type: fixture.type, collection, record_type: "product", connection_config: target.config, query, batch_size: BATCH, ...fixture.connector, ...extra },
      });
      expect(response.status, response.text).toBe(201);
      return response.body.id as string;
    };
    const pull = async (id: string) => {
      const response = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=120`);
      expect(response.status, response.text).toBe(200);
      return response.body;
    };
    const record = async (sourceId: string) => h.request("GET", `/api/v1/records/${collection}/product/${encodeURIComponent(sourceId)}`);

    beforeAll(async () => {
      target = await fixture.start();
      h = await startHarness({ PULL_OVERLAP_SECONDS: "60" });
      await target.seed(ROWS, 3600);
      incrementalId = await create("incremental", target.queries.incremental);
      fullId = await create("full", target.queries.full, { collection: `${collection}_full` });
    }, 180_000);
    afterAll(async () => {
      await h?.close();
      await target?.stop();
    });

    it("first pull reads every row (watermark 1970-01-01) in several batches", async () => {
      const run = await pull(incrementalId);
      expect(run).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0 });
      expect(run.run_id).toMatch(/^run_/);
      expect(run.duration_seconds).toEqual(expect.any(Number));
      target.assertStreamed?.();
      const stored = await record("7");
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ source_id: "7", name: "Product 7" });
      expect(stored.body.vertical_data.sku).toBe("SKU-0007");
      const updatedAt = stored.body.vertical_data.updated_at;
      if (target.timestamps === "epoch_ms") expect(Number.isSafeInteger(updatedAt)).toBe(true);
      else expect(new Date(updatedAt).toISOString()).toBe(updatedAt);
      const connector = await h.request("GET", `/api/v1/connectors/${incrementalId}`);
      expect(connector.body).toMatchObject({ status: "active", last_error: null });
      expect(connector.body.last_pull_at).toEqual(expect.any(String));
      const page = await h.request("GET", `/api/v1/records/${collection}/product?limit=100`);
      expect(page.body.items).toHaveLength(100);
      expect(page.body.next_cursor).toEqual(expect.any(String));
    });

    if (fixture.incremental === false) {
      it("a re-pull reads every row again and writes only the changed and the new ones", async () => {
        await target.touch(3, "Product 3 (renamed)");
        await target.insertAt(ROWS + 1, new Date());
        const run = await pull(incrementalId);
        expect(run).toMatchObject({ status: "completed", records_pulled: ROWS + 1, records_uploaded: 2, duplicates_skipped: ROWS - 1 });
        expect((await record("3")).body.name).toBe("Product 3 (renamed)");
        expect((await record(String(ROWS + 1))).status).toBe(200);
      });

      it("a row with an old timestamp added since is read too: there is no watermark to miss it", async () => {
        await target.insertAt(ROWS + 2, new Date(Date.now() - 86_400_000));
        const run = await pull(incrementalId);
        expect(run).toMatchObject({ status: "completed", records_pulled: ROWS + 2, records_uploaded: 1, duplicates_skipped: ROWS + 1 });
        expect((await record(String(ROWS + 2))).body.name).toBe(`Product ${ROWS + 2}`);
      });
    }

    if (fixture.incremental !== false) it("incremental pull reads only rows changed since the watermark", async () => {
      await target.touch(3, "Product 3 (renamed)");
      await target.insertAt(ROWS + 1, new Date());
      const run = await pull(incrementalId);
      expect(run).toMatchObject({ status: "completed", records_pulled: 2, records_uploaded: 2, duplicates_skipped: 0 });
      expect((await record("3")).body.name).toBe("Product 3 (renamed)");
      expect((await record(String(ROWS + 1))).status).toBe(200);
    });

    if (fixture.incremental !== false) it("a row committed late with a timestamp before the last pull's start is not lost", async () => {
      const runs = await h.request("GET", `/api/v1/connectors/${incrementalId}/runs`);
      const lastStart = new Date(runs.body.items[0].started_at);
      // Tied with / just before the previous pull's start: inside the overlap window.
      await target.insertAt(ROWS + 2, new Date(lastStart.getTime() - 1000));
      const run = await pull(incrementalId);
      expect(run.status).toBe("completed");
      expect(run.records_uploaded).toBe(1);
      expect(run.duplicates_skipped).toBe(run.records_pulled - 1); // the overlap's repeats
      expect((await record(String(ROWS + 2))).body.name).toBe(`Product ${ROWS + 2}`);
    });

    it("an unchanged full re-pull uploads nothing; one changed row uploads exactly one", async () => {
      const first = await pull(fullId);
      expect(first).toMatchObject({ status: "completed", records_uploaded: ROWS + 2, duplicates_skipped: 0 });
      const again = await pull(fullId);
      expect(again).toMatchObject({ status: "completed", records_pulled: ROWS + 2, records_uploaded: 0, duplicates_skipped: ROWS + 2 });
      await target.touch(11, "Product 11 (changed)");
      const changed = await pull(fullId);
      expect(changed).toMatchObject({ records_pulled: ROWS + 2, records_uploaded: 1, duplicates_skipped: ROWS + 1 });
    });

    it("keeps a sync history, newest first", async () => {
      const runs = await h.request("GET", `/api/v1/connectors/${incrementalId}/runs?limit=2`);
      expect(runs.body.items).toHaveLength(2);
      expect(runs.body.items[0].started_at >= runs.body.items[1].started_at).toBe(true);
      const more = await h.request("GET", `/api/v1/connectors/${incrementalId}/runs?limit=2&cursor=${runs.body.next_cursor}`);
      expect(more.body.items).toHaveLength(1);
      const one = await h.request("GET", `/api/v1/runs/${runs.body.items[0].run_id}`);
      expect(one.body).toMatchObject({ run_id: runs.body.items[0].run_id, connector_id: incrementalId, trigger: "manual", status: "completed" });
    });

    it("test-connection succeeds with version, server time and schemas", async () => {
      const response = await h.request("POST", `/api/v1/connectors/${incrementalId}/test`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ connector_id: incrementalId, status: "success" });
      expect(response.body.latency_ms).toEqual(expect.any(Number));
      expect(response.body.details.version).toEqual(expect.any(String));
      expect(Array.isArray(response.body.details.schemas_available)).toBe(true);
      expect((await h.request("GET", `/api/v1/connectors/${incrementalId}`)).body.last_test_status).toBe("success");
    });

    it("test-connection reports each failure it can provoke with its type", async () => {
      expect(target.failures.length).toBeGreaterThanOrEqual(1);
      for (const failure of target.failures) {
        const id = await create(`bad ${failure.label}`, target.queries.incremental, { connection_config: failure.config });
        const response = await h.request("POST", `/api/v1/connectors/${id}/test`);
        expect(response.status).toBe(200);
        expect(response.body.status, `${failure.label}: ${response.text}`).toBe("failed");
        expect(response.body.error.type, `${failure.label}: ${response.text}`).toBe(failure.type);
        expect(response.body.error.message).toEqual(expect.any(String));
      }
    });

    it("test_connection on create refuses a config that cannot connect, and stores nothing", async () => {
      const failure = target.failures[0]!;
      const before = (await h.request("GET", "/api/v1/connectors?include_available=false&limit=100")).body.items.length;
      const response = await h.request("POST", "/api/v1/connectors", {
        body: { name: "tested", connector_type: fixture.type, collection, record_type: "product", connection_config: failure.config, query: target.queries.incremental, test_connection: true },
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: "connection_failed", test_results: { error_type: failure.type } });
      expect((await h.request("GET", "/api/v1/connectors?include_available=false&limit=100")).body.items.length).toBe(before);
      const ok = await h.request("POST", "/api/v1/connectors", {
        body: { name: "tested ok", connector_type: fixture.type, collection, record_type: "product", connection_config: target.config, query: target.queries.incremental, test_connection: true },
      });
      expect(ok.status).toBe(201);
      expect(ok.body.test_results.version).toEqual(expect.any(String));
    });

    it("a query error mid-stream fails the run, releases the lease and marks the connector", async () => {
      const id = await create("failing", target.queries.failing);
      const run = await pull(id);
      expect(run.status).toBe("failed");
      expect(run.error.type).toBe("query_error");
      if (target.failsMidStream) expect(run.records_pulled).toBeGreaterThanOrEqual(BATCH);
      const connector = await h.request("GET", `/api/v1/connectors/${id}`);
      expect(connector.body.status).toBe("error");
      expect(connector.body.last_error).toBe(run.error.message);
      const stored = await h.request("GET", `/api/v1/runs/${run.run_id}`);
      expect(stored.body).toMatchObject({ status: "failed", error: run.error });
      // The lease is free: the next pull runs (and fails the same way) instead of answering 409.
      expect((await pull(id)).status).toBe("failed");
    });

    // Only where the server has a sleep function (PostgreSQL, MySQL).
    if (fixture.slowQuery) {
      it("a pull outlasting ?wait answers 202; while it runs the connector is running and refuses a second pull, update and delete", async () => {
        const id = await create("slow", fixture.slowQuery!);
        const started = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`);
        expect(started.status).toBe(202);
        expect(started.body).toEqual({ run_id: expect.stringMatching(/^run_/), status: "running" });
        expect((await h.request("GET", `/api/v1/connectors/${id}`)).body.status).toBe("running");
        const second = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`);
        expect(second.status).toBe(409);
        expect(second.body.error).toBe("conflict");
        expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { name: "renamed" } })).status).toBe(409);
        expect((await h.request("DELETE", `/api/v1/connectors/${id}`)).status).toBe(409);
        let run = (await h.request("GET", `/api/v1/runs/${started.body.run_id}`)).body;
        for (let i = 0; i < 100 && run.status === "running"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          run = (await h.request("GET", `/api/v1/runs/${started.body.run_id}`)).body;
        }
        expect(run).toMatchObject({ status: "completed", records_pulled: 1, records_uploaded: 1 });
        // The connector's state is written right after the run's: a read in between may see it still running.
        let status = (await h.request("GET", `/api/v1/connectors/${id}`)).body.status;
        for (let i = 0; i < 20 && status === "running"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          status = (await h.request("GET", `/api/v1/connectors/${id}`)).body.status;
        }
        expect(status).toBe("active");
      });

      it("statement_timeout_seconds stops a query that runs too long", async () => {
        const id = await create("timeout", fixture.slowQuery!, { connection_config: { ...target.config, statement_timeout_seconds: 1 } });
        const run = await pull(id);
        expect(run.status).toBe("failed");
        expect(run.error.type).toBe("timeout");
      });
    }

    it("no secret of the connection config appears in any response or log line", () => {
      const everything = [...h.responses, ...h.logs];
      for (const secret of target.secrets) expect(everything.filter((line) => line.includes(secret))).toEqual([]);
    });
  });
}
