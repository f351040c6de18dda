// Connector use cases: create, read, list, update, delete, and re-wrapping every envelope under
// the primary key. The connection config exists in clear only inside these calls.
import type { EnvelopeCodec } from "../crypto/envelope.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { ConnectionTester, ConnectionTestResult } from "../pull/connectionTest.js";
import type { Scheduler } from "../schedule/contract.js";
import { ConnectionFailedError, VersionConflictError } from "./errors.js";
import { newId } from "../store/ids.js";
import type { Page } from "../store/cursor.js";
import { isObject, parseWith, requireObject, requireSound } from "../validation.js";
import { asSent, canonicalize, parsedAsSent } from "./aliases.js";
import { destinationOf, keepRedactedSecrets, redactConfig, secretValues } from "./redaction.js";
import type { ConnectorFilter, ConnectorRepository } from "./repository.js";
import { connectorSchemas, patchableFields, type ConnectorInput } from "./schemas.js";
import { mergePatch, parseType, pickSettings, settingsOf } from "./settings.js";
import { spaceOf } from "./spaces.js";
import type { Actor, ConnectionConfig, ConnectorItem, ConnectorType, ConnectorView } from "./types.js";
import { toView, type ConnectorScope } from "./view.js";

export type { ConnectorScope } from "./view.js";

/** Tries of a PATCH that keeps losing to concurrent writes before it answers 409. */
const UPDATE_ATTEMPTS = 25;
const MAX_RETRY_DELAY_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConnectorServiceDeps {
  repository: ConnectorRepository;
  envelopes: EnvelopeCodec;
  /** Runs `test_connection`; absent where no source can be reached. */
  tester?: ConnectionTester;
  /** Settles a `running` status left by a dead pull; true when a pull really runs. */
  settleInterrupted?: (tenant: string, id: string) => Promise<boolean>;
  /** Keeps each connector's schedule (EventBridge Scheduler, or the in-process scheduler). */
  scheduler?: Scheduler;
  /** What goes with a deleted connector besides its item and schedule (its catalog entries). */
  onDeleted?: (tenant: string, id: string) => Promise<void>;
  /** Keeps every connection test's result for the connector's health. */
  testLog?: { save(tenant: string, id: string, result: ConnectionTestResult): Promise<void> };
  now?: () => Date;
}

export class ConnectorService {
  private readonly repository: ConnectorRepository;
  private readonly envelopes: EnvelopeCodec;
  private readonly now: () => Date;
  private readonly tester: ConnectionTester | undefined;
  private readonly settleInterrupted: ConnectorServiceDeps["settleInterrupted"];
  private readonly scheduler: Scheduler | undefined;
  private readonly testLog: ConnectorServiceDeps["testLog"];
  private readonly onDeleted: ConnectorServiceDeps["onDeleted"];

  constructor(deps: ConnectorServiceDeps) {
    this.testLog = deps.testLog;
    this.scheduler = deps.scheduler;
    this.settleInterrupted = deps.settleInterrupted;
    this.onDeleted = deps.onDeleted;
    this.repository = deps.repository;
    this.envelopes = deps.envelopes;
    this.tester = deps.tester;
    this.now = deps.now ?? (() => new Date());
  }

  private parse(body: Record<string, unknown>): ConnectorInput {
    const type = parseType(body.connector_type);
    return parseWith(connectorSchemas[type], body) as ConnectorInput;
  }

  /** `options.space`: the path's space (a body naming another is refused); `actor`: the key creating it. */
  async create(tenant: string, body: unknown, options: { actor?: Actor; space?: string } = {}): Promise<ConnectorView> {
    const object = requireObject(body);
    requireSound(object);
    const { body: canonical, sent } = canonicalize(object);
    if (options.space !== undefined) {
      if (canonical.space !== undefined && canonical.space !== options.space) {
        throw new ValidationError(`space must be the path's space (${options.space}) or left out`, "space");
      }
      canonical.space = options.space;
    }
    const input = parsedAsSent(sent, () => this.parse(canonical));
    const id = newId("conn");
    const config = input.connection_config as ConnectionConfig;
    const test = "test_connection" in input && input.test_connection ? await this.testOrFail(input.connector_type, config) : undefined;
    const at = this.now().toISOString();
    const item: ConnectorItem = {
      id,
      tenant,
      ...settingsOf(input),
      status: "active",
      last_error: null,
      last_pull_at: null,
      watermark: null,
      disabled_at: null,
      disabled_reason: null,
      disabled_by: null,
      last_sync: null,
      last_tested_at: test?.tested_at ?? null,
      last_test_status: test?.status ?? null,
      created_by: options.actor ?? null,
      created_at: at,
      updated_at: at,
      version: 1,
      envelope: await this.envelopes.seal(config, { tenant, connector_id: id }),
      config_redacted: redactConfig(config) as ConnectionConfig,
    };
    await this.repository.insert(item);
    try {
      await this.syncSchedule(item);
    } catch (error) {
      await this.repository.remove(tenant, id, { force: true }).catch(() => undefined);
      throw error;
    }
    const view = toView(item);
    return test?.status === "success" ? { ...view, test_results: { latency_ms: test.latency_ms, version: test.details.version } } : view;
  }

  private async testOrFail(type: ConnectorType, config: ConnectionConfig): Promise<ConnectionTestResult> {
    if (!this.tester) throw new ValidationError("connection tests are not available in this deployment", "test_connection");
    const result = await this.tester(type, config);
    if (result.status === "failed") throw new ConnectionFailedError(result.error, result.tested_at);
    return result;
  }

  /** Keeps the outcome of a connection test on the connector (last_tested_at, last_test_status). */
  async recordTest(tenant: string, id: string, result: ConnectionTestResult): Promise<void> {
    await this.repository.setState(tenant, id, { last_tested_at: result.tested_at, last_test_status: result.status });
    await this.testLog?.save(tenant, id, result);
  }

  async get(tenant: string, id: string, scope: ConnectorScope = {}): Promise<ConnectorView> {
    return toView(await this.scoped(tenant, id, scope));
  }

  /** The stored connector, when it is in the scope's space (404 otherwise, as for another tenant's). */
  private async scoped(tenant: string, id: string, scope: ConnectorScope): Promise<ConnectorItem> {
    const item = await this.repository.get(tenant, id);
    if (scope.space !== undefined && spaceOf(item) !== scope.space) throw new NotFoundError("connector", id);
    return item;
  }

  async list(tenant: string, filter: ConnectorFilter): Promise<Page<ConnectorView>> {
    const page = await this.repository.list(tenant, filter);
    return { items: page.items.map(toView), next_cursor: page.next_cursor };
  }

  /** Every connector of a space (Qarion's list is the whole space, not a page). */
  async listSpace(tenant: string, space: string): Promise<ConnectorView[]> {
    const views: ConnectorView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.repository.list(tenant, { space, limit: 100, cursor });
      views.push(...page.items.map(toView));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return views;
  }

  /** The connector with its decrypted connection config, for sources; never for responses. */
  async openConfig(tenant: string, id: string): Promise<{ connector: ConnectorItem; config: ConnectionConfig }> {
    const connector = await this.repository.get(tenant, id);
    const config = await this.envelopes.open<ConnectionConfig>(connector.envelope, { tenant, connector_id: id });
    return { connector, config };
  }

  /**
   * Writes refreshed OAuth tokens into the stored config's `oauth` block, also while a pull runs
   * (it refreshes them); settings, state and updated_at stay. Only a config still holding
   * `grantKey` is written: false when the connector was connected anew or changed auth meanwhile.
   */
  async storeOAuthTokens(tenant: string, id: string, grantKey: string, tokens: Record<string, unknown>): Promise<boolean> {
    const context = { tenant, connector_id: id };
    for (let attempt = 1; ; attempt++) {
      const stored = await this.repository.get(tenant, id);
      const config = await this.envelopes.open<ConnectionConfig>(stored.envelope, context);
      if (!isObject(config.oauth) || config.oauth.grant_key !== grantKey) return false;
      const next = { ...config, oauth: { ...config.oauth, ...tokens } };
      const item = { ...stored, envelope: await this.envelopes.seal(next, context), config_redacted: redactConfig(next) as ConnectionConfig };
      try {
        await this.repository.updateSettings(item, stored.version, { allowRunning: true });
        return true;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= UPDATE_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(MAX_RETRY_DELAY_MS, 2 ** attempt));
      }
    }
  }

  /**
   * Applies a PATCH. Concurrent edits of one connector serialise: each attempt reads the item,
   * applies the patch to it and writes conditioned on the version it read; an attempt that lost
   * to another write reads again and retries (at most UPDATE_ATTEMPTS times), so every edit lands
   * and, field by field, the last one wins.
   */
  async update(tenant: string, id: string, body: unknown, scope: ConnectorScope = {}): Promise<ConnectorView> {
    const object = requireObject(body);
    requireSound(object);
    const { body: patch, sent } = canonicalize(object);
    try {
      return await this.applyPatch(tenant, id, patch, scope);
    } catch (error) {
      throw asSent(error, sent);
    }
  }

  private async applyPatch(tenant: string, id: string, patch: Record<string, unknown>, scope: ConnectorScope): Promise<ConnectorView> {
    const unknown = Object.keys(patch).find((key) => key !== "connector_type" && !(patchableFields as readonly string[]).includes(key));
    if (unknown) throw new ValidationError(`${unknown} is not a known field`, unknown);
    if (patch.connection_config !== undefined && !isObject(patch.connection_config)) {
      throw new ValidationError("connection_config must be an object", "connection_config");
    }
    const tested = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const stored = await this.repository.get(tenant, id);
      const next = await this.patched(stored, patch, tested, scope);
      let updated: ConnectorItem;
      try {
        updated = await this.repository.updateSettings(next, stored.version);
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= UPDATE_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(MAX_RETRY_DELAY_MS, 2 ** attempt));
        continue;
      }
      if (updated.schedule !== stored.schedule || updated.timezone !== stored.timezone) await this.syncSchedule(updated);
      return toView(updated);
    }
  }

  /** The item `patch` makes of `stored`, validated whole; `tested` holds the configs already tested in this request. */
  private async patched(stored: ConnectorItem, patch: Record<string, unknown>, tested: Set<string>, scope: ConnectorScope): Promise<ConnectorItem> {
    const { tenant, id } = stored;
    if (scope.space !== undefined && spaceOf(stored) !== scope.space) throw new NotFoundError("connector", id);
    if (patch.connector_type !== undefined && patch.connector_type !== stored.connector_type) {
      throw new ValidationError("connector_type cannot be changed; create a new connector instead", "connector_type");
    }
    // Sync history and space-scoped routes go by the space a connector was made in.
    if (patch.space !== undefined && patch.space !== spaceOf(stored)) {
      throw new ValidationError("space cannot be changed; create the connector in the other space instead", "space");
    }
    if (stored.status === "running" && (await this.pullIsLive(tenant, id))) {
      throw new ConflictError("cannot update a connector while its pull is running; retry when it has finished");
    }

    const context = { tenant, connector_id: id };
    let config: ConnectionConfig | undefined;
    let previousConfig: ConnectionConfig | undefined;
    if (isObject(patch.connection_config)) {
      const current = await this.envelopes.open<ConnectionConfig>(stored.envelope, context);
      const { merged, unresolved } = keepRedactedSecrets(patch.connection_config, current);
      if (unresolved) throw new ValidationError(`${unresolved} is ***REDACTED*** but there is no stored value to keep`, unresolved);
      config = mergePatch(current, merged);
      previousConfig = current;
    }
    const { tenant: _t, id: _i, status: _s, envelope: _e, config_redacted, version: _v, ...rest } = stored;
    const candidate = { ...pickSettings(rest, stored.connector_type), ...patch, connection_config: config ?? config_redacted };
    // A config not being patched is validated in its redacted form: its shape is what matters.
    const input = this.parse(candidate);
    if (config && previousConfig && isObject(patch.connection_config)) refuseCarriedSecrets(previousConfig, config, patch.connection_config);
    if (patch.test_connection === true) {
      const target = config ?? (await this.envelopes.open<ConnectionConfig>(stored.envelope, context));
      const key = JSON.stringify(target);
      if (!tested.has(key)) {
        await this.testOrFail(stored.connector_type, target);
        tested.add(key);
      }
    }
    const next: ConnectorItem = {
      ...stored,
      ...settingsOf(input),
      updated_at: this.now().toISOString(),
    };
    if (config) {
      next.envelope = await this.envelopes.seal(config, context);
      next.config_redacted = redactConfig(config) as ConnectionConfig;
    }
    return next;
  }

  async delete(tenant: string, id: string, options: { force: boolean } & ConnectorScope): Promise<void> {
    // The space never changes, so checking it first cannot race with the delete.
    if (options.space !== undefined) await this.scoped(tenant, id, options);
    try {
      await this.repository.remove(tenant, id, options);
    } catch (error) {
      // `running` may be left by a pull whose process died: settle it, then delete.
      if (!(error instanceof ConflictError) || (await this.pullIsLive(tenant, id))) throw error;
      await this.repository.remove(tenant, id, options);
    }
    await this.scheduler?.remove(tenant, id);
    await this.onDeleted?.(tenant, id);
  }

  /** Pauses the connector: pulls are refused (409) and its schedule is paused. */
  async disable(tenant: string, id: string, body: unknown, actor?: Actor): Promise<ConnectorView> {
    const input = body === undefined ? {} : requireObject(body);
    const extra = Object.keys(input).find((key) => key !== "reason");
    if (extra) throw new ValidationError(`${extra} is not a known field`, extra);
    if (input.reason !== undefined && (typeof input.reason !== "string" || input.reason.length > 500)) {
      throw new ValidationError("reason must be a string of at most 500 characters", "reason");
    }
    const stored = await this.repository.get(tenant, id);
    // A `running` left by a process that died mid-pull is settled first; a live pull still refuses.
    if (stored.status === "running") await this.pullIsLive(tenant, id);
    if (stored.status !== "disabled") {
      await this.repository.setState(
        tenant,
        id,
        { status: "disabled", disabled_at: this.now().toISOString(), disabled_reason: (input.reason as string | undefined) ?? null, disabled_by: actor ?? null },
        { unlessRunning: true },
      );
    }
    const disabled = await this.repository.get(tenant, id);
    await this.syncSchedule(disabled);
    return toView(disabled);
  }

  /** Resumes a disabled connector and its schedule. */
  async enable(tenant: string, id: string): Promise<ConnectorView> {
    const stored = await this.repository.get(tenant, id);
    if (stored.status === "disabled") {
      await this.repository.setState(tenant, id, { status: "active", disabled_at: null, disabled_reason: null, disabled_by: null });
    }
    const enabled = await this.repository.get(tenant, id);
    await this.syncSchedule(enabled);
    return toView(enabled);
  }

  private async syncSchedule(item: ConnectorItem): Promise<void> {
    if (!this.scheduler) return;
    if (!item.schedule) return this.scheduler.remove(item.tenant, item.id);
    await this.scheduler.upsert({
      tenant: item.tenant,
      connectorId: item.id,
      schedule: item.schedule,
      timezone: item.timezone,
      enabled: item.status !== "disabled",
    });
  }

  private async pullIsLive(tenant: string, id: string): Promise<boolean> {
    return this.settleInterrupted ? this.settleInterrupted(tenant, id) : true;
  }

  /** Re-wraps every envelope's data key under the primary master key; returns the counts. */
  async rotateEnvelopes(): Promise<{ scanned: number; rewrapped: number }> {
    let scanned = 0;
    let rewrapped = 0;
    for await (const item of this.repository.scanAll()) {
      scanned++;
      const { envelope, changed } = await this.envelopes.rewrap(item.envelope, { tenant: item.tenant, connector_id: item.id });
      if (!changed) continue;
      await this.repository.updateSettings({ ...item, envelope }, item.version, { allowRunning: true });
      rewrapped++;
    }
    return { scanned, rewrapped };
  }
}

/**
 * A stored secret goes only where it was given for: a PATCH that points the connection elsewhere
 * (a host, a URI's host, a port, a bastion) must send every secret the new config keeps again,
 * or an editor could send the stored password to a server of their own.
 */
function refuseCarriedSecrets(current: ConnectionConfig, next: ConnectionConfig, patch: Record<string, unknown>): void {
  const where = (config: ConnectionConfig) => destinationOf(config).sort().join("\n");
  if (where(next) === where(current)) return;
  const given = new Set(secretValues(patch));
  const stored = new Set(secretValues(current));
  if (secretValues(next).some((secret) => stored.has(secret) && !given.has(secret))) {
    throw new ValidationError(
      "the connection's host changes: send its secrets (passwords, keys, tokens) again with it; a stored secret is only ever sent to the host it was given for",
      "connection_config",
    );
  }
}
