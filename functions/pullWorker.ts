// Lambda: the worker. Resumes pulls and metadata syncs begun by the HTTP functions (asynchronous
// invoke), and is the EventBridge Scheduler target for scheduled pulls ({tenant, connector_id}).
import { handleWorkerEvent, type WorkerResult } from "../lib/dispatch/worker.js";
import { awsServices } from "../lib/runtime/aws.js";

/** Lambda's context: only its remaining time is used, so a pull stops before the timeout and continues. */
interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export async function handler(event: unknown, context?: InvocationContext): Promise<WorkerResult> {
  return handleWorkerEvent(awsServices(), event, context ? { remainingMs: () => context.getRemainingTimeInMillis() } : undefined);
}
