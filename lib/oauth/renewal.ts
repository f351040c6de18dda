// Token renewal for authorization-code connections: the stored tokens when another pull or test
// renewed them already, else a refresh_token grant at the provider, written back into the
// connector's envelope. A refused refresh token (invalid_grant) marks the connector error.
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import type { Logger } from "../runtime/logger.js";
import { SourceError } from "../sources/errors.js";
import { isObject } from "../validation.js";
import type { OAuthConnection, OAuthGrants, RenewedTokens } from "./contract.js";
import { OAuthTokenError } from "./errors.js";
import type { GrantBinding, OAuthGrantStore } from "./grantStore.js";
import type { OAuthProviders } from "./providers.js";
import { isExpiring, requestTokens, sourceErrorOf } from "./tokenEndpoint.js";

export interface OAuthRenewalDeps {
  providers: OAuthProviders;
  grants: OAuthGrantStore;
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  logger: Logger;
  now?: () => Date;
}

const reconnect = (provider: string) => `connect it again: GET /api/v1/oauth/${provider}/authorize?connector_id=…`;

export class OAuthRenewal implements OAuthGrants {
  /** One renewal per grant at a time in this process: parallel requests share it. */
  private readonly inFlight = new Map<string, Promise<OAuthConnection>>();
  private readonly now: () => Date;

  constructor(private readonly deps: OAuthRenewalDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async renew(connection: Pick<OAuthConnection, "provider" | "grant_key">, stale: string, signal?: AbortSignal): Promise<RenewedTokens> {
    const binding = await this.deps.grants.get(connection.grant_key);
    if (!binding || binding.provider !== connection.provider) {
      throw new SourceError("credentials_expired", `this connector's OAuth connection is no longer on record; ${reconnect(connection.provider)}`);
    }
    const renewed = await this.refresh(connection.grant_key, binding, { stale, signal });
    return { access_token: renewed.access_token, expires_at: renewed.expires_at, refreshed_at: renewed.refreshed_at };
  }

  /**
   * Refreshes the grant's tokens and stores them. With `stale`, tokens stored meanwhile that
   * differ from it and are not about to expire are returned as they are; `force` always refreshes.
   */
  refresh(grantKey: string, binding: GrantBinding, options: { stale?: string; force?: boolean; signal?: AbortSignal }): Promise<OAuthConnection> {
    const running = this.inFlight.get(grantKey);
    if (running) return running;
    const started = this.refreshOnce(grantKey, binding, options).finally(() => this.inFlight.delete(grantKey));
    this.inFlight.set(grantKey, started);
    return started;
  }

  private async refreshOnce(grantKey: string, binding: GrantBinding, options: { stale?: string; force?: boolean; signal?: AbortSignal }): Promise<OAuthConnection> {
    const { tenant, connector_id: id, provider: name } = binding;
    const { config } = await this.deps.connectors.openConfig(tenant, id);
    const held = isObject(config.oauth) ? (config.oauth as unknown as OAuthConnection) : undefined;
    if (!held || held.grant_key !== grantKey) {
      throw new SourceError("credentials_expired", `the connector was connected anew or changed its authentication; this OAuth connection is void`);
    }
    if (!options.force && held.access_token !== options.stale && !isExpiring(held.expires_at, held.refreshed_at, this.now().getTime())) return held;
    const provider = this.deps.providers[name];
    if (!provider) throw new SourceError("authentication_failed", `the OAuth provider "${name}" is no longer configured (OAUTH_PROVIDERS)`);
    if (!held.refresh_token) {
      throw await this.expired(binding, `the access token expired and ${name} issued no refresh token; ${reconnect(name)}`);
    }
    const refreshedAt = this.now();
    let issued;
    try {
      issued = await requestTokens(provider, { grant_type: "refresh_token", refresh_token: held.refresh_token }, { signal: options.signal, now: () => refreshedAt.getTime() });
    } catch (error) {
      if (!(error instanceof OAuthTokenError)) throw error;
      const typed = sourceErrorOf(error, `refreshing the ${name} access token failed`);
      if (typed.type === "credentials_expired") throw await this.expired(binding, `${name} refused the refresh token (${error.message}); ${reconnect(name)}`);
      throw typed;
    }
    const next: OAuthConnection = {
      ...held,
      access_token: issued.access_token,
      // A provider that does not rotate refresh tokens keeps the one it issued first.
      refresh_token: issued.refresh_token ?? held.refresh_token,
      refreshed_at: refreshedAt.toISOString(),
      ...(issued.scope !== undefined ? { scope: issued.scope } : {}),
    };
    if (issued.expires_at) next.expires_at = issued.expires_at;
    else delete next.expires_at;
    const { grant_key: _key, provider: _provider, ...tokens } = next;
    let stored: boolean;
    try {
      stored = await this.deps.connectors.storeOAuthTokens(tenant, id, grantKey, { ...tokens, expires_at: next.expires_at });
    } catch (error) {
      // The provider has renewed (and may have rotated the refresh token): this pull or test can
      // still use the new token, so failing it would save nothing. The log says what was lost.
      this.deps.logger.error("oauth tokens refreshed but not stored", { connector_id: id, provider: name, error: { name: (error as Error)?.name, message: (error as Error)?.message } });
      return next;
    }
    if (!stored) throw new SourceError("credentials_expired", "the connector was connected anew while its tokens were refreshed; this OAuth connection is void");
    this.deps.logger.info("oauth tokens refreshed", { connector_id: id, provider: name, expires_at: next.expires_at ?? null });
    return next;
  }

  /** The connector is marked error (a running pull marks it itself when it fails); the error to throw. */
  private async expired(binding: GrantBinding, message: string): Promise<SourceError> {
    await this.deps.connectorRepository
      .setState(binding.tenant, binding.connector_id, { status: "error", last_error: message }, { unlessRunning: true })
      .catch(() => undefined);
    this.deps.logger.warn("oauth refresh refused", { connector_id: binding.connector_id, provider: binding.provider, error_type: "credentials_expired" });
    return new SourceError("credentials_expired", message, "invalid_grant");
  }
}
