// Metadata syncs and dbt manifest imports: one at a time per connector under a DynamoDB lease
// (sync#<tenant>#<connector>), each with a sync record. A sync is begun by the HTTP function and
// runs in the background (this process, or the worker function); an import runs in the request.
import { scrubSecrets, secretValues } from "../connectors/redaction.js";
import { NoConnectionError } from "../connectors/errors.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import { spaceOf } from "../connectors/spaces.js";
import type { ConnectorItem } from "../connectors/types.js";
import type { Job, ResumeSyncEvent } from "../dispatch/contract.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { runErrorOf } from "../pull/runner.js";
import type { Logger } from "../runtime/logger.js";
import type { Source } from "../sources/contract.js";
import { withDeadline } from "../sources/deadline.js";
import { openSource as defaultOpenSource, sourceOptions } from "../sources/index.js";
import { LeaseHeldError } from "../store/errors.js";
import { newId } from "../store/ids.js";
import type { Lease, LeaseLock } from "../store/leaseLock.js";
import { linkToDiscovered } from "./dbt/link.js";
import { NotDbtConnectorError, SyncRunningError } from "./errors.js";
import { readManifest } from "./dbt/manifest.js";
import type { CatalogEntryRepository } from "./entryRepository.js";
import { reconcile } from "./reconcile.js";
import type { SyncRepository } from "./syncRepository.js";
import type { EntryDraft, EntryOrigin, SyncKind, SyncRecord } from "./types.js";

export interface CatalogSyncDeps {
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  entries: CatalogEntryRepository;
  syncs: SyncRepository;
  leases: LeaseLock;
  logger: Logger;
  /** Documents or nodes sampled per collection or label to infer fields. */
  sampleSize: number;
  openSource?: typeof defaultOpenSource;
  now?: () => Date;
  /** Event webhooks (lib/events): told of each finished sync; it only enqueues, never waits on a receiver. */
  eventPublisher?: { syncSettled(record: SyncRecord): Promise<void> };
}

export interface BegunSync {
  record: SyncRecord;
  lease: Lease;
}

export const syncLeaseName = (tenant: string, connectorId: string) => `sync#${tenant}#${connectorId}`;

export class CatalogSync {
  private readonly openSource: typeof defaultOpenSource;
  private readonly now: () => Date;

  constructor(private readonly deps: CatalogSyncDeps) {
    this.openSource = deps.openSource ?? defaultOpenSource;
    this.now = deps.now ?? (() => new Date());
  }

  /** Takes the lease and writes the running record: 409 while another sync runs, 400 for dbt. */
  async begin(tenant: string, connectorId: string): Promise<BegunSync> {
    const connector = await this.deps.connectorRepository.get(tenant, connectorId);
    if (connector.connector_type === "dbt") throw new NoConnectionError("sync with");
    if (connector.status === "disabled") throw new ConflictError("the connector is disabled; enable it to sync");
    return this.start(connector, "discovery");
  }

  /** A begun sync as a job for the dispatcher. */
  job(begun: BegunSync): Job<SyncRecord> {
    const { record, lease } = begun;
    return {
      event: { kind: "sync", tenant: record.tenant, connector_id: record.connector_id, sync_id: record.id, lease_expires_at: lease.expiresAt },
      run: () => this.resume(begun),
      abandon: async (message) => {
        await this.deps.syncs.save(this.failed(record, { type: "internal_error", message })).catch(() => undefined);
        await this.deps.leases.release(lease).catch(() => undefined);
      },
    };
  }

  /** The worker's half of a sync begun by the HTTP function. */
  async resumeEvent(event: ResumeSyncEvent): Promise<SyncRecord> {
    const record = await this.settled(await this.deps.syncs.get(event.tenant, event.sync_id));
    // Lambda may deliver an asynchronous event again: a sync that already ran (or whose lease
    // ran out before it started) is not run a second time, outside its lease.
    if (record.status !== "running") return record;
    return this.resume({ record, lease: { name: syncLeaseName(event.tenant, event.connector_id), owner: event.sync_id, expiresAt: event.lease_expires_at } });
  }

  /**
   * The record as it stands. One left `running` by a process that stopped mid-sync (its lease
   * expired, or another sync has it now) is settled `failed`, stored so, and returned so.
   */
  async settled(record: SyncRecord): Promise<SyncRecord> {
    if (record.status !== "running") return record;
    const holder = await this.deps.leases.lastHolder(syncLeaseName(record.tenant, record.connector_id));
    if (holder?.owner === record.id && holder.expiresAt >= this.now().getTime()) return record;
    const failed = this.failed(record, { type: "lease_lost", message: "the sync was interrupted before it finished (the process stopped); its lease expired" });
    if (await this.deps.syncs.saveIfRunning(failed)) return failed;
    return this.deps.syncs.get(record.tenant, record.id); // it finished meanwhile
  }

  /** Connects, discovers, reconciles the catalog, closes; never rejects. */
  async resume(begun: BegunSync): Promise<SyncRecord> {
    let secrets: string[] = [];
    const { record } = await this.underLease(begun, "discovery", async () => {
      const { connector, config } = await this.deps.connectors.openConfig(begun.record.tenant, begun.record.connector_id);
      secrets = secretValues(config);
      let source: Source | undefined;
      try {
        source = await this.openSource(connector.connector_type, config, { query: connector.query });
        const opened = source;
        const found = await withDeadline(opened.discover({ sampleSize: this.deps.sampleSize }), sourceOptions(config).statementTimeoutMs, "discovery", () => opened.close());
        return found.map((entry): EntryDraft => ({ origin: "discovery", key: `${entry.kind}:${entry.database ?? ""}.${entry.schema ?? ""}.${entry.name}`, ...entry }));
      } finally {
        await source?.close().catch(() => undefined);
      }
    }, () => secrets);
    return record;
  }

  /**
   * Imports a parsed manifest.json into the connector's catalog (dbt entries), linked to the
   * tenant's discovered tables. Rejects an unusable manifest (400) before anything changes.
   */
  async importManifest(tenant: string, connectorId: string, manifest: unknown): Promise<SyncRecord> {
    const parsed = readManifest(manifest);
    const connector = await this.manifestTarget(tenant, connectorId);
    const begun = await this.start(connector, "dbt_manifest");
    begun.record.manifest = parsed.manifest;
    let linked = 0;
    const { record, error } = await this.underLease(begun, "dbt", async () => {
      const result = linkToDiscovered(parsed.drafts, await this.deps.entries.discoveredRelations(tenant));
      linked = result.linked;
      return result.drafts;
    }, () => []);
    if (error) throw error;
    return { ...record, products_linked: linked };
  }

  /**
   * The connector a manifest is imported into: 404 when there is none, 400 unless it is a dbt
   * connector. Links span the tenant, so nothing is gained by importing into the warehouse's
   * connector, whose catalog would then list each table twice (discovered, and as its model).
   */
  async manifestTarget(tenant: string, connectorId: string): Promise<ConnectorItem> {
    const connector = await this.deps.connectorRepository.get(tenant, connectorId);
    if (connector.connector_type !== "dbt") throw new NotDbtConnectorError(connector.connector_type);
    return connector;
  }

  private async start(connector: ConnectorItem, kind: SyncKind): Promise<BegunSync> {
    const id = newId("sync");
    let lease: Lease;
    try {
      lease = await this.deps.leases.acquire(syncLeaseName(connector.tenant, connector.id), id);
    } catch (error) {
      if (error instanceof LeaseHeldError) throw new SyncRunningError(error.holder.owner);
      throw error;
    }
    const record: SyncRecord = {
      id, tenant: connector.tenant, connector_id: connector.id, connector_name: connector.name, space: spaceOf(connector), kind, status: "running",
      products_created: 0, products_updated: 0, products_removed: 0, products_unchanged: 0,
      started_at: this.now().toISOString(), completed_at: null, error: null,
    };
    try {
      await this.deps.syncs.save(record);
    } catch (error) {
      await this.deps.leases.release(lease).catch(() => undefined);
      throw error;
    }
    return { record, lease };
  }

  /** Runs `find` with the lease kept alive, reconciles what it found, saves the record, releases. */
  private async underLease(
    begun: BegunSync,
    origin: EntryOrigin,
    find: () => Promise<EntryDraft[]>,
    secrets: () => string[],
  ): Promise<{ record: SyncRecord; error?: unknown }> {
    const { lease } = begun;
    let record = begun.record;
    let lost: Error | undefined;
    let failure: unknown;
    const keepAlive = this.deps.leases.keepAlive(lease, (error) => (lost = error));
    try {
      const found = await find();
      if (lost) throw lost;
      const { tenant, connector_id } = record;
      const existing = await this.deps.entries.allOf(tenant, connector_id, origin);
      const now = this.now().toISOString();
      const result = reconcile({ tenant, connectorId: connector_id }, existing, found, now);
      await this.deps.entries.putAll(result.writes);
      await this.unlessDeleted(tenant, connector_id, now);
      const completedAt = this.now().toISOString();
      // The connector's last_sync, written while the lease is held (deleted meanwhile: nothing to mark).
      await this.deps.connectorRepository.setState(tenant, connector_id, { last_sync: completedAt }).catch(() => undefined);
      record = {
        ...record, status: "completed", completed_at: completedAt,
        products_created: result.created, products_updated: result.updated, products_removed: result.removed, products_unchanged: result.unchanged,
      };
    } catch (error) {
      failure = error;
      const recorded = lost && error === lost ? { type: "lease_lost", message: lost.message } : runErrorOf(error, secrets(), "sync");
      record = this.failed(record, recorded);
      if (recorded.type === "internal_error") {
        this.deps.logger.error("sync failed", { sync_id: record.id, error: scrubSecrets(String((error as Error)?.stack ?? error), secrets()) });
      }
    } finally {
      await keepAlive.stop();
      // Saved before the lease goes: a record still `running` without its lease is a stopped sync.
      await this.deps.syncs.save(record).catch((error: unknown) => this.deps.logger.error("could not save sync record", { sync_id: record.id, error }));
      await this.deps.leases.release(lease).catch(() => undefined);
    }
    this.deps.logger.info("sync finished", { sync_id: record.id, connector_id: record.connector_id, kind: record.kind, status: record.status });
    await this.deps.eventPublisher?.syncSettled(record);
    return failure === undefined ? { record } : { record, error: failure };
  }

  /**
   * Deleting a connector marks its entries removed; one deleted while these writes were on their
   * way would keep them present (and linked to). Checked after the writes, so either the delete's
   * marking or this one comes last. Throws NotFoundError when the connector is gone.
   */
  private async unlessDeleted(tenant: string, connectorId: string, now: string): Promise<void> {
    try {
      await this.deps.connectorRepository.get(tenant, connectorId);
    } catch (error) {
      if (error instanceof NotFoundError) await this.deps.entries.markConnectorRemoved(tenant, connectorId, now);
      throw error;
    }
  }

  private failed(record: SyncRecord, error: SyncRecord["error"]): SyncRecord {
    return { ...record, status: "failed", completed_at: this.now().toISOString(), error };
  }
}
