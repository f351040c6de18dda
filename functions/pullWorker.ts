// Lambda: the pull worker. Resumes pulls begun by the pull function (asynchronous invoke), and
// is the EventBridge Scheduler target for scheduled pulls ({tenant, connector_id}).
import type { ResumePullEvent } from "../lib/dispatch/contract.js";
import { resumePull, runScheduledPull } from "../lib/pull/scheduled.js";
import { awsServices } from "../lib/runtime/aws.js";

export async function handler(event: unknown): Promise<{ run_id?: string; status?: string }> {
  const { runner, runs, logger } = awsServices();
  const run =
    (event as ResumePullEvent)?.kind === "resume"
      ? await resumePull(runner, event as ResumePullEvent)
      : await runScheduledPull({ runner, runs, logger }, event);
  return run ? { run_id: run.run_id, status: run.status } : {};
}
