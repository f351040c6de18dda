// Pull routes: run a pull now (waiting up to ?wait= seconds), test a connection, sync history.
import { Hono } from "hono";
import type { ConnectorService } from "../../connectors/service.js";
import { ValidationError } from "../../errors.js";
import type { ConnectionTester } from "../../pull/connectionTest.js";
import type { PullRunner } from "../../pull/runner.js";
import type { RunRepository } from "../../pull/runRepository.js";
import type { RunRecord } from "../../pull/types.js";
import { queryLimit } from "../body.js";
import type { AppEnv } from "../types.js";

export const DEFAULT_WAIT_SECONDS = 25;
const MAX_WAIT_SECONDS = 900;

function waitSeconds(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_WAIT_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
    throw new ValidationError(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, "wait");
  }
  return seconds;
}

/** The QANATIX pull answer, plus what went wrong when the run failed. */
export function pullSummary(run: RunRecord) {
  return {
    run_id: run.run_id,
    status: run.status,
    records_pulled: run.records_pulled,
    records_uploaded: run.records_uploaded,
    duplicates_skipped: run.duplicates_skipped,
    records_rejected: run.records_rejected,
    duration_seconds: run.duration_seconds,
    ...(run.error ? { error: run.error } : {}),
  };
}

export interface PullRouteDeps {
  connectors: ConnectorService;
  runner: PullRunner;
  runs: RunRepository;
  tester: ConnectionTester;
}


export function pullRoutes(deps: PullRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/connectors/:id/pull", async (c) => {
    const wait = waitSeconds(c.req.query("wait"));
    const { run, done } = await deps.runner.start(c.get("principal").tenant, c.req.param("id"), "manual");
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), wait * 1000))),
    ]);
    clearTimeout(timer);
    if (!finished) return c.json({ run_id: run.run_id, status: "running" }, 202);
    return c.json(pullSummary(finished), 200);
  });

  app.post("/connectors/:id/test", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = c.req.param("id");
    const { connector, config } = await deps.connectors.openConfig(tenant, id);
    const result = await deps.tester(connector.connector_type, config);
    await deps.connectors.recordTest(tenant, id, result);
    return c.json({ connector_id: id, ...result });
  });

  app.get("/connectors/:id/runs", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = c.req.param("id");
    await deps.connectors.get(tenant, id); // 404 for an unknown or foreign connector
    return c.json(await deps.runs.listForConnector(tenant, id, { limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") }));
  });

  app.get("/runs/:runId", async (c) => c.json(await deps.runs.get(c.get("principal").tenant, c.req.param("runId"))));

  return app;
}
