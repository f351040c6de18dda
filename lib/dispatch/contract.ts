// Background work begun by an HTTP request (a pull, a metadata sync) and handed to whatever
// executes it: this process locally, or the worker function by asynchronous invoke in AWS,
// where a Lambda that has answered is frozen and cannot go on working.

/** What the worker function is sent to resume a pull the HTTP function began. */
export interface ResumePullEvent {
  kind: "resume";
  tenant: string;
  connector_id: string;
  run_id: string;
  lease_expires_at: number;
  /** One partition of the run (a continuation, or a partition read by its own invocation); the whole run when absent. */
  partition?: string;
}

/** What the worker function is sent to run a metadata sync the HTTP function began. */
export interface ResumeSyncEvent {
  kind: "sync";
  tenant: string;
  connector_id: string;
  sync_id: string;
  lease_expires_at: number;
}

/** What the worker function is sent to attempt the event deliveries that are due (lib/events). */
export interface DeliverEventsEvent {
  kind: "deliver_events";
}

export type WorkerEvent = ResumePullEvent | ResumeSyncEvent | DeliverEventsEvent;

/** Work that holds its lease and has its record, not executed yet. */
export interface Job<T> {
  /** What the worker function needs to carry the work on elsewhere. */
  event: WorkerEvent;
  /** Executes the work in this process; never rejects. */
  run(): Promise<T>;
  /** Gives the work up before it ran (its executor could not be started). */
  abandon(message: string): Promise<void>;
}

export interface Dispatcher {
  /** Resolves once the job is handed over; `done` is there when it runs in this process. */
  dispatch<T>(job: Job<T>): Promise<{ done?: Promise<T> }>;
  /** Waits for jobs this process is running (graceful shutdown). */
  drain(): Promise<void>;
}
