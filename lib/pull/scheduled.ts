// Scheduled pulls (EventBridge Scheduler target, in-process scheduler) and resumed pulls (the
// worker side of the HTTP pull): the same runner path as manual pulls. A scheduled trigger
// that finds the lease held records a `skipped` run and succeeds, so the scheduler does not
// retry; a disabled or deleted connector is not pulled.
import { ConflictError, NotFoundError } from "../errors.js";
import type { Logger } from "../runtime/logger.js";
import { newId } from "../store/ids.js";
import { LeaseHeldError } from "../store/errors.js";
import type { ResumePullEvent } from "../dispatch/contract.js";
import { NO_DEADLINE, type Deadline } from "./deadline.js";
import type { PullRunner } from "./runner.js";
import type { RunRepository } from "./runRepository.js";
import type { RunRecord } from "./types.js";

export interface ScheduledPullDeps {
  runner: PullRunner;
  runs: RunRepository;
  logger: Logger;
  now?: () => Date;
}

function isEvent(value: unknown): value is { tenant: string; connector_id: string } {
  const event = value as { tenant?: unknown; connector_id?: unknown } | null;
  return typeof event?.tenant === "string" && typeof event.connector_id === "string";
}

export async function runScheduledPull(deps: ScheduledPullDeps, event: unknown, deadline: Deadline = NO_DEADLINE): Promise<RunRecord | undefined> {
  if (!isEvent(event)) {
    deps.logger.error("scheduled pull event without tenant and connector_id; ignored");
    return undefined;
  }
  const { tenant, connector_id } = event;
  try {
    return await deps.runner.resume(await deps.runner.begin(tenant, connector_id, "schedule"), deadline);
  } catch (error) {
    if (error instanceof LeaseHeldError) {
      const at = (deps.now ?? (() => new Date()))().toISOString();
      const skipped: RunRecord = {
        run_id: newId("run"), connector_id, tenant, trigger: "schedule", status: "skipped", reason: "already running",
        records_pulled: 0, records_uploaded: 0, duplicates_skipped: 0, records_rejected: 0,
        started_at: at, completed_at: at, duration_seconds: 0, last_pull: null, error: null,
      };
      await deps.runs.save(skipped);
      return skipped;
    }
    if (error instanceof NotFoundError || error instanceof ConflictError) {
      // Deleted or disabled since the schedule fired: nothing to pull, nothing to retry.
      deps.logger.info("scheduled pull not run", { tenant, connector_id, reason: error.message });
      return undefined;
    }
    throw error; // the store is unreachable: let the scheduler's bounded retry try again
  }
}

/**
 * The worker's half of an HTTP pull begun by the pull function, or a continuation of one. A
 * repeated delivery of the same event (Lambda retries asynchronous invokes) finds the partitions
 * claimed or finished and answers the run as it stands.
 */
export async function resumePull(runner: PullRunner, event: ResumePullEvent, deadline: Deadline = NO_DEADLINE): Promise<RunRecord> {
  return runner.continue(event, deadline);
}
