// Lambda: the worker. Resumes pulls and metadata syncs begun by the HTTP functions (asynchronous
// invoke), and is the EventBridge Scheduler target for scheduled pulls ({tenant, connector_id}).
import { handleWorkerEvent, type WorkerResult } from "../lib/dispatch/worker.js";
import { awsServices } from "../lib/runtime/aws.js";

export async function handler(event: unknown): Promise<WorkerResult> {
  return handleWorkerEvent(awsServices(), event);
}
