// The pull runner: one pull per connector under a DynamoDB lease. A run is planned once into key
// ranges (partitions), each read by a task that checkpoints after every stored batch; tasks run
// concurrently (in this process, or in worker invocations that claim them), stop before a
// deadline and continue in a new invocation, and an interrupted run is resumed from its
// checkpoint under the same run id. Manual, scheduled and resumed pulls share this one path.
import { setTimeout as sleep } from "node:timers/promises";
import { scrubSecrets, secretValues } from "../connectors/redaction.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import { NoConnectionError } from "../connectors/errors.js";
import { missingPullField } from "../connectors/pullTarget.js";
import type { ConnectionConfig, ConnectorItem } from "../connectors/types.js";
import type { Dispatcher, Job, ResumePullEvent } from "../dispatch/contract.js";
import { InProcessDispatcher } from "../dispatch/inProcess.js";
import { ConflictError, SluiceError, ValidationError } from "../errors.js";
import type { PullScreening } from "../ingest/pullScreening.js";
import type { RecordStore } from "../records/contract.js";
import type { Logger } from "../runtime/logger.js";
import { SourceError } from "../sources/errors.js";
import { openSource as defaultOpenSource } from "../sources/index.js";
import { newId } from "../store/ids.js";
import type { Lease, LeaseLock } from "../store/leaseLock.js";
import { NO_DEADLINE, DeadlineReached, type Deadline } from "./deadline.js";
import { PARTITION_SEQ_SPAN, readPartition, retryable } from "./partitionTask.js";
import { ClaimLostError, type RunRepository } from "./runRepository.js";
import type { PartitionState, RunError, RunRecord, RunTrigger } from "./types.js";

export const DEFAULT_OVERLAP_MS = 60_000;

export interface PullLimits {
  /** Worker invocations a run may take (AWS continuations); past it the run fails. */
  maxInvocations: number;
  /** A task stops at least this long before its deadline (plus twice its slowest batch). */
  deadlineMarginMs: number;
  /** Tries of a partition (the first included) before its failure fails the run. */
  partitionAttempts: number;
  /** How long a partition's claim lasts without a checkpoint; renewed at each one. */
  claimTtlMs: number;
  /** Pause before a failed partition is tried again, times the attempt. */
  retryDelayMs: number;
  /** A partition saves its checkpoint at most this often (0: after every batch), and when it stops. */
  checkpointIntervalMs: number;
}

export const DEFAULT_LIMITS: PullLimits = { maxInvocations: 100, deadlineMarginMs: 30_000, partitionAttempts: 3, claimTtlMs: 300_000, retryDelayMs: 1000, checkpointIntervalMs: 1000 };

export interface PullRunnerDeps {
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  runs: RunRepository;
  records: RecordStore;
  leases: LeaseLock;
  logger: Logger;
  openSource?: typeof defaultOpenSource;
  /** Schema checks and dead-letter entries for pulled rows; without it rows are only mapped. */
  screening?: PullScreening;
  /** Where a run's other partitions and its continuations go; this process when absent. */
  dispatcher?: Dispatcher;
  /** Subtracted from a successful pull's start to form the next watermark. */
  overlapMs?: number;
  limits?: Partial<PullLimits>;
  /** Event webhooks (lib/events): told of each settled run; it only enqueues, never waits on a receiver. */
  eventPublisher?: { runSettled(run: RunRecord): Promise<void> };
  now?: () => Date;
}

/** A pull that holds its lease and has a run record, not executed yet (see `begin`). */
export interface BegunPull {
  run: RunRecord;
  lease: Lease;
  /** An interrupted run taken up again (same run id), not a new one. */
  resumed?: boolean;
  /** Its predecessor process is known dead: claims it left are void. */
  orphaned?: boolean;
}

export const leaseName = (tenant: string, connectorId: string) => `pull#${tenant}#${connectorId}`;

/** What a run (or a metadata sync) records of its failure: typed, scrubbed of the config's secrets. */
export function runErrorOf(error: unknown, secrets: string[], what = "pull"): RunError {
  if (error instanceof SourceError) {
    return { type: error.type, message: scrubSecrets(error.message, secrets), ...(error.code ? { code: error.code } : {}) };
  }
  if (error instanceof SluiceError) return { type: "internal_error", message: scrubSecrets(error.message, secrets) };
  return { type: "internal_error", message: `the ${what} failed unexpectedly; see the service log` };
}

const INTERRUPTED = "the pull was interrupted before it finished (the process stopped); its lease expired";

export class PullRunner {
  private readonly openSource: typeof defaultOpenSource;
  private readonly overlapMs: number;
  private readonly now: () => Date;
  private readonly limits: PullLimits;
  private readonly dispatcher: Dispatcher;

  /** The sync history this runner writes to. */
  get runs(): RunRepository {
    return this.deps.runs;
  }

  constructor(private readonly deps: PullRunnerDeps) {
    this.openSource = deps.openSource ?? defaultOpenSource;
    this.overlapMs = deps.overlapMs ?? DEFAULT_OVERLAP_MS;
    this.now = deps.now ?? (() => new Date());
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.dispatcher = deps.dispatcher ?? new InProcessDispatcher();
  }

  /**
   * A connector left `running` by a process that died mid-pull (its lease expired), about to be
   * changed by its user (update, delete, disable): the run is settled `failed` (lease_lost) and
   * the connector `error`. True when a pull really runs.
   */
  async settleInterrupted(tenant: string, connectorId: string): Promise<boolean> {
    const name = leaseName(tenant, connectorId);
    if (await this.deps.leases.isHeld(name)) return true;
    const holder = await this.deps.leases.lastHolder(name);
    if (holder) {
      const run = await this.deps.runs.get(tenant, holder.owner).catch(() => undefined);
      if (run?.status === "running") await this.settle(run, "failed", { type: "lease_lost", message: INTERRUPTED });
    }
    await this.deps.connectorRepository.setState(tenant, connectorId, { status: "error", last_error: INTERRUPTED });
    return false;
  }

  /**
   * The first half of a pull: checks, lease, run record, connector `running`. A run that a
   * stopped process left behind (its lease expired) is taken up again instead, same run id.
   * Throws LeaseHeldError (a ConflictError) when another pull of this connector runs,
   * ConflictError when the connector is disabled. The second half may run in another process
   * (the worker Lambda): the lease's owner is the run id, so whoever holds it carries the lease on.
   */
  async begin(tenant: string, connectorId: string, trigger: RunTrigger): Promise<BegunPull> {
    const connector = await this.deps.connectorRepository.get(tenant, connectorId);
    if (connector.connector_type === "dbt") throw new NoConnectionError("pull from");
    if (connector.status === "disabled") throw new ConflictError("the connector is disabled; enable it to pull");
    // A catalog-only connector (no collection, record type or query yet) pulls once PATCH sets them.
    const missing = missingPullField({ ...connector, connection_config: connector.config_redacted });
    if (missing) throw new ValidationError(`the connector has no ${missing.what}; set ${missing.field} with PATCH to pull`, missing.field);
    const interrupted = await this.takeInterrupted(tenant, connectorId, false);
    if (interrupted) return interrupted;
    const runId = newId("run");
    const lease = await this.deps.leases.acquire(leaseName(tenant, connectorId), runId);
    const run: RunRecord = {
      run_id: runId,
      connector_id: connectorId,
      tenant,
      trigger,
      status: "running",
      records_pulled: 0,
      records_uploaded: 0,
      duplicates_skipped: 0,
      records_rejected: 0,
      started_at: this.now().toISOString(),
      completed_at: null,
      duration_seconds: null,
      last_pull: connector.watermark,
      error: null,
    };
    try {
      await this.deps.runs.save(run);
      await this.deps.connectorRepository.setState(tenant, connectorId, { status: "running" });
    } catch (error) {
      await this.deps.leases.release(lease);
      throw error;
    }
    return { run, lease };
  }

  /**
   * Runs left `running` by a stopped process, taken up again: each connector still `running`
   * whose lease expired — or any, with `orphaned`, when no other process can hold one (the
   * local runtime's embedded store). Returns how many were resumed; they run in the background.
   */
  async resumeInterrupted(options: { orphaned: boolean }): Promise<number> {
    let resumed = 0;
    for await (const item of this.deps.connectorRepository.scanAll()) {
      if (item.status !== "running") continue;
      const begun = await this.takeInterrupted(item.tenant, item.id, options.orphaned).catch((error: unknown) => {
        this.deps.logger.warn("could not resume an interrupted pull", { connector_id: item.id, error });
        return undefined;
      });
      if (!begun) continue;
      await this.dispatcher.dispatch(this.job(begun));
      resumed++;
    }
    return resumed;
  }

  private async takeInterrupted(tenant: string, connectorId: string, orphaned: boolean): Promise<BegunPull | undefined> {
    const name = leaseName(tenant, connectorId);
    const holder = await this.deps.leases.lastHolder(name);
    if (!holder || (!orphaned && holder.expiresAt >= this.now().getTime())) return undefined;
    const run = await this.deps.runs.get(tenant, holder.owner).catch(() => undefined);
    if (run?.status !== "running") return undefined;
    const lease = await this.deps.leases.acquire(name, run.run_id, { reclaim: orphaned });
    await this.deps.runs.countResume(tenant, run.run_id);
    this.deps.logger.info("resuming an interrupted pull from its checkpoint", { run_id: run.run_id, connector_id: connectorId, records_pulled: run.records_pulled });
    return { run, lease, resumed: true, orphaned };
  }

  /** A begun pull as a job for the dispatcher: the worker's event, run here, or give up. */
  job(begun: BegunPull): Job<RunRecord> {
    const { run, lease } = begun;
    return {
      event: { kind: "resume", tenant: run.tenant, connector_id: run.connector_id, run_id: run.run_id, lease_expires_at: lease.expiresAt },
      run: () => this.drive(begun, NO_DEADLINE),
      abandon: (message) => this.abandon(begun, message),
    };
  }

  /** Gives a begun pull up before it ran (its executor could not be started). */
  async abandon(begun: BegunPull, message: string): Promise<void> {
    await this.settle(begun.run, "failed", { type: "internal_error", message }, begun.lease).catch(() => undefined);
  }

  /** Executes a begun pull to its end (or, with a deadline, to a continuation); never rejects. */
  async resume(begun: BegunPull, deadline: Deadline = NO_DEADLINE): Promise<RunRecord> {
    return this.drive(begun, deadline);
  }

  /** The worker's half: a resume event, for the whole run or for one partition (a continuation). */
  async continue(event: ResumePullEvent, deadline: Deadline): Promise<RunRecord> {
    const lease = { name: leaseName(event.tenant, event.connector_id), owner: event.run_id, expiresAt: event.lease_expires_at };
    if (event.partition === undefined) return this.drive({ run: await this.deps.runs.get(event.tenant, event.run_id), lease }, deadline);
    await this.runTask(event.tenant, event.run_id, event.partition, lease, deadline, false);
    return this.deps.runs.get(event.tenant, event.run_id);
  }

  /** Plans the run once, hands its other unfinished partitions on, reads one itself; never rejects. */
  private async drive(begun: BegunPull, deadline: Deadline): Promise<RunRecord> {
    const { tenant, run_id: runId } = begun.run;
    try {
      let run = await this.deps.runs.markWorkerStarted(tenant, runId, this.now().toISOString());
      if (run.status !== "running") return run;
      if (!run.partitions) {
        const planned = await this.plan(run, begun.lease);
        if (!planned) return await this.deps.runs.get(tenant, runId);
        run = planned;
      }
      const unfinished = Object.keys(run.partitions!).filter((p) => ["pending", "running"].includes(run.partitions![p]!.status));
      const [own, ...others] = unfinished;
      const here: Promise<unknown>[] = [];
      for (const p of others) {
        await this.deps.runs.countInvocation(tenant, runId);
        const { done } = await this.dispatcher.dispatch(this.partitionJob(run, p, begun.lease, begun.orphaned));
        if (done) here.push(done);
      }
      if (own !== undefined) await this.runTask(tenant, runId, own, begun.lease, deadline, begun.orphaned ?? false);
      await Promise.all(here);
      return await this.deps.runs.get(tenant, runId);
    } catch (error) {
      this.deps.logger.error("pull failed", { run_id: runId, error: String((error as Error)?.stack ?? error) });
      await this.settle(begun.run, "failed", runErrorOf(error, []), begun.lease).catch(() => undefined);
      return this.deps.runs.get(tenant, runId).catch(() => ({ ...begun.run, status: "failed" as const }));
    }
  }

  private partitionJob(run: RunRecord, p: string, lease: Lease, orphaned = false): Job<void> {
    return {
      event: { kind: "resume", tenant: run.tenant, connector_id: run.connector_id, run_id: run.run_id, lease_expires_at: lease.expiresAt, partition: p },
      run: () => this.runTask(run.tenant, run.run_id, p, lease, NO_DEADLINE, orphaned),
      abandon: (message) => this.settle(run, "failed", { type: "internal_error", message }, lease).then(() => undefined),
    };
  }

  /** Splits the run into key ranges (or one unordered pass) and stores the plan once. */
  private async plan(run: RunRecord, lease: Lease): Promise<RunRecord | undefined> {
    const connector = await this.connectorOf(run, lease);
    if (!connector) return undefined;
    const { config } = await this.deps.connectors.openConfig(connector.tenant, connector.id);
    const source = await this.openSource(connector.connector_type, config, { query: connector.query });
    try {
      const params = { last_pull: run.last_pull ? new Date(run.last_pull) : null };
      const order = await source.keyOrder?.(connector.query ?? "", params, connector.id_column);
      const ranges = order ? await order.split(Math.max(1, connector.parallelism ?? 1)) : [{}];
      const estimate = order ? ((await order.estimate()) ?? null) : null;
      const partitions: Record<string, PartitionState> = {};
      ranges.forEach((range, i) => {
        partitions[String(i)] = { range, status: "pending", chunks_done: 0, records_pulled: 0, records_uploaded: 0, duplicates_skipped: 0, records_rejected: 0, attempts: 0 };
      });
      return await this.deps.runs.plan(run.tenant, run.run_id, { partitions, ordered: order !== undefined, records_estimate: estimate }, 1);
    } catch (error) {
      await this.settle(run, "failed", runErrorOf(error, secretValues(config)), lease);
      return undefined;
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  /** The run's connector; a deleted one fails the run. */
  private async connectorOf(run: RunRecord, lease: Lease): Promise<ConnectorItem | undefined> {
    try {
      return await this.deps.connectorRepository.get(run.tenant, run.connector_id);
    } catch {
      await this.settle(run, "failed", { type: "internal_error", message: "the connector was deleted before its pull ran" }, lease);
      return undefined;
    }
  }

  /** Claims partition `p` and reads it to its end, a continuation, or a failure; never rejects. */
  private async runTask(tenant: string, runId: string, p: string, lease: Lease, deadline: Deadline, orphaned: boolean): Promise<void> {
    const token = newId("task");
    const claimUntil = () => this.now().getTime() + this.limits.claimTtlMs;
    let run = await this.deps.runs.claimPartition(tenant, runId, p, { token, now: this.now().getTime(), until: claimUntil(), force: orphaned }).catch(() => undefined);
    if (!run) return; // finished, failed, or another worker reads it
    let lost: Error | undefined;
    const keepAlive = this.deps.leases.keepAlive(lease, (error) => (lost = error));
    let secrets: string[] = [];
    try {
      const connector = await this.connectorOf(run, lease);
      if (!connector) return;
      const { config } = await this.deps.connectors.openConfig(tenant, connector.id);
      secrets = secretValues(config);
      for (let attempt = 1; ; attempt++) {
        try {
          await this.readOnce(connector, config, run, p, token, deadline, claimUntil, () => {
            if (lost) throw lost;
          });
          break;
        } catch (error) {
          if (error instanceof DeadlineReached || error instanceof ClaimLostError || (lost && error === lost)) throw error;
          if (attempt >= this.limits.partitionAttempts || !retryable(error)) throw error;
          await this.deps.runs.countAttempt(tenant, runId, p, token);
          this.deps.logger.warn("a partition of a pull failed; trying again from its checkpoint", { run_id: runId, partition: p, attempt, error: runErrorOf(error, secrets) });
          await sleep(this.limits.retryDelayMs * attempt);
          run = await this.deps.runs.get(tenant, runId);
        }
      }
      const ended = await this.deps.runs.endPartition(tenant, runId, p, token, "completed");
      if (Object.values(ended.partitions!).every((state) => state.status === "completed")) await this.settle(ended, "completed", null, lease);
    } catch (error) {
      if (error instanceof ClaimLostError) return; // the run was settled, or another worker took over
      if (error instanceof DeadlineReached) return await this.continueLater(tenant, runId, p, token, lease);
      const runError: RunError = lost && error === lost ? { type: "lease_lost", message: lost.message } : runErrorOf(error, secrets);
      if (runError.type === "internal_error") {
        this.deps.logger.error("pull failed", { run_id: runId, partition: p, error: scrubSecrets(String((error as Error)?.stack ?? error), secrets) });
      }
      await this.deps.runs.endPartition(tenant, runId, p, token, "failed", runError).catch(() => undefined);
      await this.settle(run, "failed", runError, lease).catch((failure: unknown) => this.deps.logger.error("could not settle a failed run", { run_id: runId, error: failure }));
    } finally {
      await keepAlive.stop();
    }
  }

  /** One try at partition `p`, from its checkpoint in `run`. */
  private async readOnce(connector: ConnectorItem, config: ConnectionConfig, run: RunRecord, p: string, token: string, deadline: Deadline, claimUntil: () => number, check: () => void): Promise<void> {
    let state = run.partitions![p]!;
    const source = await this.openSource(connector.connector_type, config, { query: connector.query });
    try {
      const params = { last_pull: run.last_pull ? new Date(run.last_pull) : null };
      let order;
      if (run.ordered) {
        order = await source.keyOrder?.(connector.query ?? "", params, connector.id_column);
        if (!order) throw new SourceError("query_error", `the query's rows can no longer be read in order of "${connector.id_column}"`);
      } else if (state.chunks_done > 0) {
        // Unordered rows cannot be skipped to a position: read them all again. What this run
        // stored before counts as uploaded again (see RecordStore.upsert), so the counts stay exact.
        await this.deps.runs.restartPartition(run.tenant, run.run_id, p, token, state);
        state = { ...state, chunks_done: 0, records_pulled: 0, records_uploaded: 0, duplicates_skipped: 0, records_rejected: 0, position: undefined };
      }
      const scope = { tenant: connector.tenant, collection: connector.collection!, record_type: connector.record_type! };
      const origin = { kind: "pull" as const, id: run.run_id, connector_id: connector.id };
      const screen = await this.deps.screening?.open(scope, run.run_id, Number(p) * PARTITION_SEQ_SPAN + state.records_rejected);
      await readPartition({
        connector,
        source,
        order,
        state,
        lastPull: params.last_pull,
        screen,
        write: (batch) => this.deps.records.write(scope, batch, origin),
        checkpoint: (at) => this.deps.runs.checkpoint(run.tenant, run.run_id, p, token, { ...at, claimedUntil: claimUntil() }),
        deadline,
        marginMs: this.limits.deadlineMarginMs,
        checkpointIntervalMs: this.limits.checkpointIntervalMs,
        check,
      });
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  /** The deadline is near: the partition goes to a new worker invocation, within the cap. */
  private async continueLater(tenant: string, runId: string, p: string, token: string, lease: Lease): Promise<void> {
    await this.deps.runs.releasePartition(tenant, runId, p, token);
    const run = await this.deps.runs.get(tenant, runId);
    const invocations = await this.deps.runs.countInvocation(tenant, runId);
    if (invocations > this.limits.maxInvocations) {
      const message = `the pull needed more than ${this.limits.maxInvocations} worker invocations (PULL_MAX_INVOCATIONS); its checkpoint is kept`;
      await this.settle(run, "failed", { type: "invocation_limit", message }, lease);
      return;
    }
    this.deps.logger.info("pull continues in a new invocation", { run_id: runId, partition: p, invocations, records_pulled: run.records_pulled });
    await this.dispatcher.dispatch(this.partitionJob(run, p, lease));
  }

  /**
   * Ends a running run once (the first caller wins), marks the connector — completed, its
   * watermark moves to the run's start minus the overlap — and frees the lease.
   */
  private async settle(run: RunRecord, status: "completed" | "failed", error: RunError | null, lease?: Lease, at = this.now()): Promise<boolean> {
    const settled = await this.deps.runs.settle(run.tenant, run.run_id, {
      status,
      completed_at: at.toISOString(),
      duration_seconds: (at.getTime() - new Date(run.started_at).getTime()) / 1000,
      error,
    });
    // The connector's state right after the run's, before the lease, events and log: a client
    // that sees the run ended sees the connector settled a write later, not after a receiver.
    if (settled && status === "failed") {
      await this.deps.connectorRepository.setState(run.tenant, run.connector_id, { status: "error", last_error: error?.message ?? null }).catch(() => undefined);
    }
    if (settled && status === "completed") {
      await this.deps.connectorRepository
        .setState(run.tenant, run.connector_id, {
          status: "active",
          last_error: null,
          last_pull_at: at.toISOString(),
          // Rows committed while this pull ran are read again next time; dedupe absorbs repeats.
          watermark: new Date(new Date(run.started_at).getTime() - this.overlapMs).toISOString(),
        })
        .catch(() => undefined); // deleted meanwhile (force)
    }
    if (lease) await this.deps.leases.release(lease).catch(() => undefined);
    if (settled) {
      const final = await this.deps.runs.get(run.tenant, run.run_id).catch(() => run);
      await this.deps.eventPublisher?.runSettled({ ...final, status, error });
      this.deps.logger.info("pull finished", {
        run_id: run.run_id,
        connector_id: run.connector_id,
        status,
        records_pulled: final.records_pulled,
        records_uploaded: final.records_uploaded,
        duplicates_skipped: final.duplicates_skipped,
      });
    }
    return settled;
  }
}
