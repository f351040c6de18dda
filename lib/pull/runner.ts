// The pull runner: one pull per connector under a DynamoDB lease, streaming source batches
// through normalisation and the records store, with a run record and connector state kept
// current. Manual and scheduled pulls share this one path.
import { scrubSecrets, secretValues } from "../connectors/redaction.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import { NoConnectionError } from "../connectors/errors.js";
import type { ConnectorItem } from "../connectors/types.js";
import type { Job } from "../dispatch/contract.js";
import { ConflictError, SluiceError, ValidationError } from "../errors.js";
import type { RecordStore } from "../records/contract.js";
import type { Logger } from "../runtime/logger.js";
import type { Source } from "../sources/contract.js";
import { SourceError } from "../sources/errors.js";
import { openSource as defaultOpenSource } from "../sources/index.js";
import { newId } from "../store/ids.js";
import type { Lease, LeaseLock } from "../store/leaseLock.js";
import type { PullScreening } from "../ingest/pullScreening.js";
import { pump } from "./pump.js";
import { mapRow } from "./recordMapping.js";
import type { RunRepository } from "./runRepository.js";
import type { RunError, RunRecord, RunTrigger } from "./types.js";

export const DEFAULT_OVERLAP_MS = 60_000;

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
  /** Subtracted from a successful pull's start to form the next watermark. */
  overlapMs?: number;
  now?: () => Date;
}

/** A pull that holds its lease and has a run record, not executed yet (see `begin`). */
export interface BegunPull {
  run: RunRecord;
  lease: Lease;
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

export class PullRunner {
  private readonly openSource: typeof defaultOpenSource;
  private readonly overlapMs: number;
  private readonly now: () => Date;

  /** The sync history this runner writes to. */
  get runs(): RunRepository {
    return this.deps.runs;
  }

  constructor(private readonly deps: PullRunnerDeps) {
    this.openSource = deps.openSource ?? defaultOpenSource;
    this.overlapMs = deps.overlapMs ?? DEFAULT_OVERLAP_MS;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * A connector left `running` by a process that died mid-pull (its lease expired): marks the
   * connector `error` and the run `failed`. Returns true when the connector is still running
   * for real, false otherwise.
   */
  async settleInterrupted(tenant: string, connectorId: string): Promise<boolean> {
    const name = leaseName(tenant, connectorId);
    if (await this.deps.leases.isHeld(name)) return true;
    const message = "the pull was interrupted before it finished (the process stopped); its lease expired";
    const holder = await this.deps.leases.lastHolder(name);
    if (holder) {
      const run = await this.deps.runs.get(tenant, holder.owner).catch(() => undefined);
      if (run?.status === "running") {
        const completed = this.now();
        await this.deps.runs.save({
          ...run,
          status: "failed",
          completed_at: completed.toISOString(),
          duration_seconds: (completed.getTime() - new Date(run.started_at).getTime()) / 1000,
          error: { type: "lease_lost", message },
        });
      }
    }
    await this.deps.connectorRepository.setState(tenant, connectorId, { status: "error", last_error: message });
    return false;
  }

  /**
   * The first half of a pull: checks, lease, run record, connector `running`. Throws
   * LeaseHeldError (a ConflictError) when another pull of this connector runs, ConflictError
   * when the connector is disabled. The second half,
   * `resume`, may run in another process (the worker Lambda): the lease's owner is the run id,
   * so whoever holds the run id can carry the lease on.
   */
  async begin(tenant: string, connectorId: string, trigger: RunTrigger): Promise<BegunPull> {
    const connector = await this.deps.connectorRepository.get(tenant, connectorId);
    if (connector.connector_type === "dbt") throw new NoConnectionError("pull from");
    if (connector.status === "disabled") throw new ConflictError("the connector is disabled; enable it to pull");
    if (!connector.query && connector.connector_type !== "mongodb") {
      throw new ValidationError("the connector has no query to pull with; set one with PATCH", "query");
    }
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

  /** A begun pull as a job for the dispatcher: the worker's event, run here, or give up. */
  job(begun: BegunPull): Job<RunRecord> {
    const { run, lease } = begun;
    return {
      event: { kind: "resume", tenant: run.tenant, connector_id: run.connector_id, run_id: run.run_id, lease_expires_at: lease.expiresAt },
      run: () => this.resume(begun),
      abandon: (message) => this.abandon(begun, message),
    };
  }

  /** Gives a begun pull up before it ran (its executor could not be started). */
  async abandon(begun: BegunPull, message: string): Promise<void> {
    const { run, lease } = begun;
    await this.deps.runs.save({ ...run, status: "failed", completed_at: this.now().toISOString(), error: { type: "internal_error", message } }).catch(() => undefined);
    await this.deps.connectorRepository.setState(run.tenant, run.connector_id, { status: "error", last_error: message }).catch(() => undefined);
    await this.deps.leases.release(lease).catch(() => undefined);
  }

  /** Executes a begun pull to its end; never rejects. */
  async resume(begun: BegunPull): Promise<RunRecord> {
    const { run, lease } = begun;
    let connector: ConnectorItem;
    try {
      connector = await this.deps.connectorRepository.get(run.tenant, run.connector_id);
    } catch {
      await this.deps.leases.release(lease).catch(() => undefined);
      const failed: RunRecord = { ...run, status: "failed", completed_at: this.now().toISOString(), error: { type: "internal_error", message: "the connector was deleted before its pull ran" } };
      await this.deps.runs.save(failed).catch(() => undefined);
      return failed;
    }
    return this.execute(connector, { ...run }, lease);
  }

  private async execute(connector: ConnectorItem, run: RunRecord, lease: Lease): Promise<RunRecord> {
    const { logger } = this.deps;
    const started = this.now();
    let lost: Error | undefined;
    const keepAlive = this.deps.leases.keepAlive(lease, (error) => (lost = error));
    let source: Source | undefined;
    let secrets: string[] = [];
    try {
      const { config } = await this.deps.connectors.openConfig(connector.tenant, connector.id);
      secrets = secretValues(config);
      source = await this.openSource(connector.connector_type, config);
      // begin() refused dbt connectors, the only ones without a collection.
      const scope = { tenant: connector.tenant, collection: connector.collection!, record_type: connector.record_type! };
      const origin = { kind: "pull" as const, id: run.run_id, connector_id: connector.id };
      const mapping = { nameColumn: connector.name_column, idColumn: connector.id_column };
      const lastPull = connector.watermark ? new Date(connector.watermark) : null;
      // The schema is looked up once; `admit` is undefined when there is none.
      const screen = await this.deps.screening?.open(scope, run.run_id);
      const admit = screen?.admit;
      let seen = 0; // rows mapped so far: numbers the rows of dead-letter entries
      await pump(source.read(connector.query ?? "", { last_pull: lastPull }, connector.batch_size), {
        check: () => {
          if (lost) throw lost;
        },
        map: (rows) => {
          const records = [];
          for (let i = 0; i < rows.length; i++) {
            const row = seen + i + 1;
            const mapped = mapRow(rows[i]!, mapping);
            if ("record" in mapped) {
              if (admit === undefined || admit(mapped.record, row)) records.push(mapped.record);
              else run.records_rejected++;
            } else {
              run.records_rejected++;
              screen?.reject(row, mapped.error);
            }
          }
          seen += rows.length;
          return records;
        },
        write: async (records, rows) => {
          await screen?.flush();
          const result = await this.deps.records.upsert(scope, records, origin);
          run.records_pulled += rows.length;
          run.records_uploaded += result.uploaded;
          run.duplicates_skipped += result.duplicates;
        },
      });
      if (lost) throw lost;
      const completed = this.now();
      Object.assign(run, {
        status: "completed",
        completed_at: completed.toISOString(),
        duration_seconds: (completed.getTime() - started.getTime()) / 1000,
      });
      await this.deps.connectorRepository.setState(connector.tenant, connector.id, {
        status: "active",
        last_error: null,
        last_pull_at: completed.toISOString(),
        // Rows committed while this pull ran are read again next time; dedupe absorbs repeats.
        watermark: new Date(started.getTime() - this.overlapMs).toISOString(),
      });
    } catch (error) {
      const completed = this.now();
      run.error = lost && error === lost ? { type: "lease_lost", message: lost.message } : runErrorOf(error, secrets);
      Object.assign(run, {
        status: "failed",
        completed_at: completed.toISOString(),
        duration_seconds: (completed.getTime() - started.getTime()) / 1000,
      });
      if (run.error.type === "internal_error") {
        logger.error("pull failed", { run_id: run.run_id, connector_id: connector.id, error: scrubSecrets(String((error as Error)?.stack ?? error), secrets) });
      }
      await this.deps.connectorRepository
        .setState(connector.tenant, connector.id, { status: "error", last_error: run.error.message })
        .catch(() => undefined); // deleted meanwhile (force): nothing to mark
    } finally {
      await source?.close().catch(() => undefined);
      await keepAlive.stop();
      await this.deps.leases.release(lease).catch(() => undefined);
    }
    await this.deps.runs.save(run).catch((error: unknown) => logger.error("could not save run", { run_id: run.run_id, error }));
    logger.info("pull finished", {
      run_id: run.run_id,
      connector_id: connector.id,
      status: run.status,
      records_pulled: run.records_pulled,
      records_uploaded: run.records_uploaded,
      duplicates_skipped: run.duplicates_skipped,
    });
    return run;
  }
}
