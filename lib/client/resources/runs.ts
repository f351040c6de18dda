// Sync history of pulls: one run, a connector's runs, and waiting for a run to end while its
// checkpoints report progress.
import { everyItem } from "../pagination.js";
import { unwrap, type ApiClient } from "../transport.js";
import type { PageQuery, Run, RunList } from "../types.js";

export interface WaitOptions {
  /** Between two reads of the run record (default 500 ms). */
  pollIntervalMs?: number;
  /** Give up after this long (default: never); the run goes on in the service. */
  timeoutMs?: number;
  /** Called with the run record after every read, while it runs and once it has ended. */
  onProgress?: (run: Run) => void;
  signal?: AbortSignal;
}

/** Waiting for a run gave up before the run ended (it still runs in the service). */
export class RunWaitTimeoutError extends Error {
  readonly run_id: string;
  constructor(runId: string, timeoutMs: number) {
    super(`run ${runId} was still running after ${timeoutMs} ms`);
    this.name = "RunWaitTimeoutError";
    this.run_id = runId;
  }
}

export class Runs {
  constructor(private readonly api: ApiClient) {}

  get(runId: string): Promise<Run> {
    return unwrap(this.api.GET("/api/v1/runs/{runId}", { params: { path: { runId } } }));
  }

  /** One page of a connector's runs, newest first. */
  list(connectorId: string, query: PageQuery = {}): Promise<RunList> {
    return unwrap(this.api.GET("/api/v1/connectors/{id}/runs", { params: { path: { id: connectorId }, query } }));
  }

  /** Every run of a connector, newest first, page by page. */
  iterate(connectorId: string, query: Omit<PageQuery, "cursor"> = {}): AsyncGenerator<Run> {
    return everyItem((cursor) => this.list(connectorId, { ...query, cursor }));
  }

  /** Polls the run until it is no longer `running`; answers the ended run. */
  async wait(runId: string, options: WaitOptions = {}): Promise<Run> {
    const interval = options.pollIntervalMs ?? 500;
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const run = await this.get(runId);
      options.onProgress?.(run);
      if (run.status !== "running") return run;
      if (Date.now() + interval > deadline) throw new RunWaitTimeoutError(runId, options.timeoutMs!);
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}
