// What the worker function does with an event: resume a pull or a metadata sync begun by an HTTP
// function (asynchronous invoke, `kind`), or run a scheduled pull (EventBridge Scheduler's
// {tenant, connector_id}, which has no kind).
import { NO_DEADLINE, type Deadline } from "../pull/deadline.js";
import { resumePull, runScheduledPull } from "../pull/scheduled.js";
import type { Services } from "../runtime/services.js";
import type { ResumePullEvent, ResumeSyncEvent } from "./contract.js";

export interface WorkerResult {
  run_id?: string;
  sync_id?: string;
  status?: string;
  /** Event deliveries attempted (a `deliver_events` event: the emit's nudge, or the stack's sweep). */
  deliveries_attempted?: number;
}

/** Room left after a round of deliveries for the worker to answer before its timeout. */
const DELIVERY_MARGIN_MS = 15_000;

/** `deadline`: the invocation's remaining time; a pull stops before it and continues in a new invocation. */
export async function handleWorkerEvent(services: Services, event: unknown, deadline: Deadline = NO_DEADLINE): Promise<WorkerResult> {
  const kind = (event as { kind?: unknown } | null)?.kind;
  if (kind === "deliver_events") {
    const round = services.config.eventDeliveryTimeoutMs + DELIVERY_MARGIN_MS;
    return { deliveries_attempted: await services.events.deliverer.deliverDue({ concurrency: 8, hasTime: () => deadline.remainingMs() > round }) };
  }
  if (kind === "sync") {
    const sync = await services.catalog.sync.resumeEvent(event as ResumeSyncEvent);
    return { sync_id: sync.id, status: sync.status };
  }
  const { runner, runs, logger } = services;
  const run = kind === "resume" ? await resumePull(runner, event as ResumePullEvent, deadline) : await runScheduledPull({ runner, runs, logger }, event, deadline);
  return run ? { run_id: run.run_id, status: run.status } : {};
}
