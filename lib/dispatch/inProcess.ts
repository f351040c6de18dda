// The local runtime's dispatcher: the job runs in this process, off the request.
import type { Dispatcher, Job } from "./contract.js";

export class InProcessDispatcher implements Dispatcher {
  private readonly running = new Set<Promise<unknown>>();

  async dispatch<T>(job: Job<T>): Promise<{ done: Promise<T> }> {
    const done = job.run();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { done };
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
