// The AWS worker, simulated in this process: a dispatcher that "invokes" the worker handler
// asynchronously for each job's event (as LambdaDispatcher's asynchronous invoke would), each
// invocation with a deadline of its own (Lambda's remaining time), and counts the invocations.
// The deadline is either a time budget in milliseconds or, where a test must not depend on the
// machine's speed, a budget of batch boundaries: the deadline reads as reached once an invocation
// has asked for the time left that many times.
import { setImmediate as nextTick } from "node:timers/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Fernet } from "../../lib/crypto/fernet.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import type { Dispatcher, Job } from "../../lib/dispatch/contract.js";
import { handleWorkerEvent } from "../../lib/dispatch/worker.js";
import type { RunRecord } from "../../lib/pull/types.js";
import type { SqliteRecordStore } from "../../lib/records/sqlite.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { createServices, type Services } from "../../lib/runtime/services.js";

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

/**
 * The local runtime's services with `lambda` as their dispatcher: the control plane on the
 * given DynamoDB table, records in the given SQLite store, no deadline margin.
 */
export function simulatedServices(lambda: SimulatedLambda, deps: { dynamo: DynamoDBClient; controlTable: string; records: SqliteRecordStore; env?: Record<string, string> }): Services {
  const config = loadConfig("local", { CONTROL_TABLE: deps.controlTable, PULL_DEADLINE_MARGIN_SECONDS: "0", PULL_LEASE_TTL_SECONDS: "30", ...deps.env });
  const built = createServices({
    config,
    logger: createLogger("error"),
    dynamo: deps.dynamo,
    keyProvider: new LocalKeyProvider(KeyRing.parse(Fernet.generateKey())),
    keyEnvironment: "local",
    dispatcher: lambda,
    records: deps.records,
  });
  lambda.services = built;
  return built;
}

/** A pull of the connector through `lambda`, to its end and every invocation returned. */
export async function pullThrough(s: Services, lambda: SimulatedLambda, tenant: string, connectorId: string, timeoutMs: number): Promise<RunRecord> {
  const begun = await s.runner.begin(tenant, connectorId, "manual");
  await lambda.dispatch(s.runner.job(begun));
  const until = Date.now() + timeoutMs;
  let run: RunRecord;
  while ((run = await s.runs.get(tenant, begun.run.run_id)).status === "running") {
    if (Date.now() > until) throw new Error(`run still running: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await lambda.drain();
  return run;
}
