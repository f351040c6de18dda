// The AWS worker, simulated in this process: a dispatcher that "invokes" the worker handler
// asynchronously for each job's event (as LambdaDispatcher's asynchronous invoke would), each
// invocation with a deadline of its own (Lambda's remaining time), and counts the invocations.
// The deadline is either a time budget in milliseconds or, where a test must not depend on the
// machine's speed, a budget of batch boundaries: the deadline reads as reached once an invocation
// has asked for the time left that many times.
import { setImmediate as nextTick } from "node:timers/promises";
import type { Dispatcher, Job } from "../../lib/dispatch/contract.js";
import { handleWorkerEvent } from "../../lib/dispatch/worker.js";
import type { Services } from "../../lib/runtime/services.js";

export class SimulatedLambda implements Dispatcher {
  invocations = 0;
  services: Services | undefined;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly budget: number | { batches: number }) {}

  async dispatch<T>(job: Job<T>): Promise<{ done?: Promise<T> }> {
    this.invocations++;
    // The event travels as JSON, like a Lambda payload: nothing but its fields reaches the worker.
    const event = JSON.parse(JSON.stringify(job.event)) as unknown;
    const invocation = (async () => {
      await nextTick();
      await handleWorkerEvent(this.services!, event, this.deadline());
    })();
    this.running.add(invocation);
    void invocation.finally(() => this.running.delete(invocation)).catch(() => undefined);
    return {};
  }

  private deadline(): { remainingMs: () => number } {
    const budget = this.budget;
    if (typeof budget === "number") {
      const started = Date.now();
      return { remainingMs: () => budget - (Date.now() - started) };
    }
    let asked = 0;
    return { remainingMs: () => (++asked > budget.batches ? 0 : Infinity) };
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
