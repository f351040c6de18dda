// Pull routes: run a pull now (waiting up to ?wait= seconds), test a connection, sync history.
import { Hono } from "hono";
import type { ConnectorService } from "../../connectors/service.js";
import { ValidationError } from "../../errors.js";
import type { ConnectionTester } from "../../pull/connectionTest.js";
import type { EventPublisher } from "../../events/publisher.js";
import type { Dispatcher } from "../../dispatch/contract.js";
import type { PullRunner } from "../../pull/runner.js";
import type { RunRepository } from "../../pull/runRepository.js";
import type { RunRecord } from "../../pull/types.js";
import { queryLimit } from "../body.js";
import type { AppEnv } from "../types.js";
import { idParam } from "../params.js";
import { withoutTenant } from "../view.js";

export const DEFAULT_WAIT_SECONDS = 25;
const MAX_WAIT_SECONDS = 900;

/** ?wait=, held to what the runtime allows (a longer wait answers 202 once that has passed). */
function waitSeconds(value: string | undefined, allowed: number): number {
  if (value === undefined || value === "") return Math.min(DEFAULT_WAIT_SECONDS, allowed);
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
    throw new ValidationError(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, "wait");
  }
  return Math.min(seconds, allowed);
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
    ...(run.resumes ? { resumes: run.resumes } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}

const POLL_MS = 250;

/** The run once it has finished, or undefined when `ms` pass first. */
async function waitForRun(finished: Promise<RunRecord>, ms: number): Promise<RunRecord | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls the run record of a pull running in another process, for at most `ms`. */
async function pollRun(runs: RunRepository, tenant: string, runId: string, ms: number): Promise<RunRecord | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await runs.get(tenant, runId);
    if (run.status !== "running") return run;
    if (Date.now() + POLL_MS > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface PullRouteDeps {
  connectors: ConnectorService;
  runner: PullRunner;
  dispatcher: Dispatcher;
  runs: RunRepository;
  tester: ConnectionTester;
  config: { pullMaxWaitSeconds: number };
  /** Event webhooks: a failed test raises connector.connection_failed (or its kin); never throws. */
  events?: { publisher: Pick<EventPublisher, "testFinished"> };
}

export function pullRoutes(deps: PullRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/connectors/:id/pull", async (c) => {
    const wait = waitSeconds(c.req.query("wait"), deps.config.pullMaxWaitSeconds);
    const tenant = c.get("principal").tenant;
    const begun = await deps.runner.begin(tenant, idParam(c, "id", "connector"), "manual");
    const { done } = await deps.dispatcher.dispatch(deps.runner.job(begun));
    const finished = done ? await waitForRun(done, wait * 1000) : await pollRun(deps.runs, tenant, begun.run.run_id, wait * 1000);
    if (!finished) return c.json({ run_id: begun.run.run_id, status: "running" }, 202);
    return c.json(pullSummary(finished), 200);
  });

  app.post("/connectors/:id/test", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = idParam(c, "id", "connector");
    const { connector, config } = await deps.connectors.openConfig(tenant, id);
    const result = await deps.tester(connector.connector_type, config, connector.query);
    await deps.connectors.recordTest(tenant, id, result);
    await deps.events?.publisher.testFinished(tenant, id, result);
    return c.json({ connector_id: id, ...result });
  });

  app.get("/connectors/:id/runs", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = idParam(c, "id", "connector");
    await deps.connectors.get(tenant, id); // 404 for an unknown or foreign connector
    const page = await deps.runs.listForConnector(tenant, id, { limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") });
    return c.json({ ...page, items: page.items.map(withoutTenant) });
  });

  app.get("/runs/:runId", async (c) => c.json(withoutTenant(await deps.runs.get(c.get("principal").tenant, idParam(c, "runId", "run")))));

  return app;
}
