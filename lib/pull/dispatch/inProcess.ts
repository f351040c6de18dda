// The local runtime's dispatcher: the pull runs in this process, off the request.
import type { RunRecord } from "../types.js";
import type { BegunPull, PullRunner } from "../runner.js";
import type { PullDispatcher } from "./contract.js";

export class InProcessDispatcher implements PullDispatcher {
  private readonly running = new Set<Promise<RunRecord>>();

  constructor(private readonly runner: () => PullRunner) {}

  async dispatch(begun: BegunPull): Promise<{ done: Promise<RunRecord> }> {
    const done = this.runner().resume(begun);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { done };
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
