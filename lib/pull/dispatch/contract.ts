import type { RunRecord } from "../types.js";
import type { BegunPull } from "../runner.js";

/** Hands a begun pull to whatever executes it: this process, or the worker function. */
export interface PullDispatcher {
  /** Resolves once the pull is handed over; `done` is there when it runs in this process. */
  dispatch(begun: BegunPull): Promise<{ done?: Promise<RunRecord> }>;
  /** Waits for pulls this process is running (graceful shutdown). */
  drain(): Promise<void>;
}

/** What the HTTP pull function sends the worker (asynchronous invoke). */
export interface ResumePullEvent {
  kind: "resume";
  tenant: string;
  connector_id: string;
  run_id: string;
  lease_expires_at: number;
}
