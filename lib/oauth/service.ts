// The authorization-code flow with PKCE: authorize sends the user to the provider with a
// single-use state bound to the caller's API key; the callback, authenticated by that state,
// exchanges the code, creates the rest_api connector or connects an existing one, and redirects
// to the registered app page (uuid and status=success, or error and message, as Querri does);
// refresh renews a connector's tokens on demand.
import { randomBytes, createHash } from "node:crypto";
import { roleAllows, type ApiKeyRepository } from "../apiKeys/apiKeys.js";
import type { Principal } from "../apiKeys/types.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import { scrubSecrets } from "../connectors/redaction.js";
import { SluiceError, ValidationError } from "../errors.js";
import type { Logger } from "../runtime/logger.js";
import { SourceError } from "../sources/errors.js";
import { isObject } from "../validation.js";
import { parseAuthorizeQuery } from "./authorizeRequest.js";
import type { OAuthConnection } from "./contract.js";
import { OAuthProviderNotFoundError, OAuthRefreshError, OAuthStateError, OAuthTokenError } from "./errors.js";
import type { OAuthGrantStore } from "./grantStore.js";
import type { OAuthProvider, OAuthProviders } from "./providers.js";
import type { OAuthRenewal } from "./renewal.js";
import type { OAuthStateStore, PendingAuthorization } from "./stateStore.js";
import { requestTokens } from "./tokenEndpoint.js";

export interface OAuthServiceDeps {
  providers: OAuthProviders;
  states: OAuthStateStore;
  grants: OAuthGrantStore;
  renewal: OAuthRenewal;
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  apiKeys: ApiKeyRepository;
  stateTtlSeconds: number;
  logger: Logger;
  now?: () => Date;
}

export interface RefreshResult {
  connector_uuid: string;
  status: string;
  token_refreshed_at: string | null;
  expires_at: string | null;
}

const MAX_STATE = 200;
const randomToken = () => randomBytes(32).toString("base64url");
const challengeOf = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

/** Ends the flow on the app's page: the params replace any of the same name it had. */
function finish(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/** A failure after the state was accepted: the user is sent back to the app with it. */
class FlowFailure extends Error {
  constructor(
    readonly code: "authorization_failed" | "token_exchange_failed" | "connector_not_saved",
    message: string,
  ) {
    super(message);
    this.name = "FlowFailure";
  }
}

export class OAuthService {
  private readonly now: () => Date;

  constructor(private readonly deps: OAuthServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  provider(name: string): OAuthProvider {
    const provider = Object.hasOwn(this.deps.providers, name) ? this.deps.providers[name] : undefined;
    if (!provider) throw new OAuthProviderNotFoundError(name);
    return provider;
  }

  /** The provider's authorization URL for the caller; `origin` is where this service was reached (the callback's default). */
  async authorize(principal: Principal, name: string, query: Record<string, string>, origin: string): Promise<string> {
    const provider = this.provider(name);
    const input = parseAuthorizeQuery(name, provider, query);
    if (input.connector_id !== undefined) {
      const connector = await this.deps.connectors.get(principal.tenant, input.connector_id);
      if (connector.connector_type !== "rest_api") throw new ValidationError("only a rest_api connector can be connected through OAuth", "connector_id");
    }
    const state = randomToken();
    const verifier = randomToken();
    const callbackUrl = provider.callback_url ?? `${origin}/api/v1/oauth/${name}/callback`;
    const now = this.now();
    const pending: PendingAuthorization = {
      provider: name,
      tenant: principal.tenant,
      key_id: principal.keyId,
      redirect_uri: input.redirect_uri,
      callback_url: callbackUrl,
      code_verifier: verifier,
      ...(input.app_state !== undefined ? { app_state: input.app_state } : {}),
      ...(input.connector_id !== undefined ? { connector_id: input.connector_id } : { connector: input.connector }),
      created_at: now.toISOString(),
    };
    await this.deps.states.put(state, pending, new Date(now.getTime() + this.deps.stateTtlSeconds * 1000));
    const url = new URL(provider.authorize_url);
    for (const [param, value] of Object.entries(provider.authorize_params ?? {})) url.searchParams.set(param, value);
    const params = { response_type: "code", client_id: provider.client_id, redirect_uri: callbackUrl, state, code_challenge: challengeOf(verifier), code_challenge_method: "S256" };
    for (const [param, value] of Object.entries(params)) url.searchParams.set(param, value);
    if (provider.scopes.length > 0) url.searchParams.set("scope", provider.scopes.join(" "));
    return url.toString();
  }

  /**
   * Where the user goes after the provider sent them back. A state that is not pending (forged,
   * used, another provider's) or expired, or whose redirect URI is no longer registered, is a
   * 400: there is no page it may safely redirect to. Every later failure redirects with `error`.
   */
  async callback(name: string, query: Record<string, string>): Promise<string> {
    const provider = this.provider(name);
    const state = query.state;
    if (!state || state.length > MAX_STATE) throw new OAuthStateError("state is required: the callback is reached from the provider after GET /api/v1/oauth/{provider}/authorize");
    const consumed = await this.deps.states.consume(state, name);
    if (!consumed) throw new OAuthStateError(`state is not pending for ${name}: unknown, used already, or issued for another provider; start again at authorize`);
    const { pending, expiresAtMs } = consumed;
    if (this.now().getTime() >= expiresAtMs) throw new OAuthStateError(`state expired (a flow has ${this.deps.stateTtlSeconds} s to come back); start again at authorize`);
    if (!provider.redirect_uris.includes(pending.redirect_uri)) {
      throw new ValidationError(`the flow's redirect_uri is no longer registered for ${name}; start again at authorize`, "redirect_uri");
    }
    const back = (params: Record<string, string | undefined>) => finish(pending.redirect_uri, { ...params, state: pending.app_state });
    const secrets = [provider.client_secret, pending.code_verifier, query.code ?? ""];
    try {
      const id = await this.complete(name, provider, pending, query, secrets);
      return back({ uuid: id, status: "success" });
    } catch (error) {
      if (error instanceof FlowFailure) return back({ error: error.code, message: scrubSecrets(error.message, secrets) });
      this.deps.logger.error("oauth callback failed", { provider: name, error: { name: (error as Error)?.name, message: scrubSecrets(String((error as Error)?.message), secrets) } });
      return back({ error: "connector_not_saved", message: "the connection could not be completed (internal error); see the service log" });
    }
  }

  private async complete(name: string, provider: OAuthProvider, pending: PendingAuthorization, query: Record<string, string>, secrets: string[]): Promise<string> {
    if (query.error) throw new FlowFailure("authorization_failed", (query.error_description || query.error).slice(0, 300));
    const keys = await this.deps.apiKeys.list(pending.tenant);
    const key = keys.find((record) => record.key_id === pending.key_id);
    if (!key || !roleAllows(key.role, "editor")) throw new FlowFailure("authorization_failed", "the API key that started this flow was revoked or lost the editor role");
    if (!query.code) throw new FlowFailure("authorization_failed", `${name} sent no authorization code`);
    const refreshedAt = this.now();
    let issued;
    try {
      issued = await requestTokens(provider, { grant_type: "authorization_code", code: query.code, redirect_uri: pending.callback_url, code_verifier: pending.code_verifier }, { now: () => refreshedAt.getTime() });
    } catch (error) {
      if (error instanceof OAuthTokenError) throw new FlowFailure("token_exchange_failed", error.message);
      throw error;
    }
    secrets.push(issued.access_token, issued.refresh_token ?? "");
    const connection: OAuthConnection = {
      provider: name,
      grant_key: randomToken(),
      access_token: issued.access_token,
      ...(issued.refresh_token ? { refresh_token: issued.refresh_token } : {}),
      ...(issued.expires_at ? { expires_at: issued.expires_at } : {}),
      refreshed_at: refreshedAt.toISOString(),
      ...(issued.scope !== undefined ? { scope: issued.scope } : {}),
    };
    secrets.push(connection.grant_key);
    try {
      return pending.connector_id !== undefined ? await this.attach(pending.tenant, pending.connector_id, connection) : await this.create(pending, connection);
    } catch (error) {
      if (error instanceof SluiceError) throw new FlowFailure("connector_not_saved", error.message);
      throw error;
    }
  }

  private async create(pending: PendingAuthorization, connection: OAuthConnection): Promise<string> {
    const body = pending.connector!;
    const config = { ...(body.connection_config as Record<string, unknown>), auth_type: "oauth2", oauth: connection };
    const view = await this.deps.connectors.create(pending.tenant, { ...body, connection_config: config });
    try {
      await this.deps.grants.put(connection.grant_key, { provider: connection.provider, tenant: pending.tenant, connector_id: view.id, created_at: this.now().toISOString() });
    } catch (error) {
      await this.deps.connectors.delete(pending.tenant, view.id, { force: true }).catch(() => undefined);
      throw error;
    }
    this.deps.logger.info("oauth connector created", { connector_id: view.id, provider: connection.provider });
    return view.id;
  }

  /** Replaces the connector's authentication with the new connection; its old grant is forgotten. */
  private async attach(tenant: string, id: string, connection: OAuthConnection): Promise<string> {
    const { config } = await this.deps.connectors.openConfig(tenant, id);
    const previous = isObject(config.oauth) && typeof config.oauth.grant_key === "string" ? config.oauth.grant_key : undefined;
    await this.deps.grants.put(connection.grant_key, { provider: connection.provider, tenant, connector_id: id, created_at: this.now().toISOString() });
    // A merge patch: null removes what another auth type or the previous connection left.
    const oauth = { refresh_token: null, expires_at: null, refreshed_at: null, scope: null, ...connection };
    const cleared = Object.fromEntries(["auth_token", "api_key_header", "api_key_value", "username", "password", "token_url", "client_id", "client_secret", "scopes", "audience", "client_auth"].map((field) => [field, null]));
    let view;
    try {
      view = await this.deps.connectors.update(tenant, id, { connection_config: { ...cleared, auth_type: "oauth2", oauth } });
    } catch (error) {
      await this.deps.grants.remove(connection.grant_key).catch(() => undefined);
      throw error;
    }
    if (previous) await this.deps.grants.remove(previous).catch(() => undefined);
    // Connected again, the connector is no longer in the error its expired credentials caused.
    if (view.status === "error") await this.deps.connectorRepository.setState(tenant, id, { status: "active", last_error: null }, { unlessRunning: true }).catch(() => undefined);
    this.deps.logger.info("oauth connector connected", { connector_id: id, provider: connection.provider });
    return id;
  }

  /** POST /oauth/{provider}/refresh: new tokens now, stored; a refused refresh token marks the connector error. */
  async refresh(tenant: string, name: string, connectorId: string): Promise<RefreshResult> {
    this.provider(name);
    const { config } = await this.deps.connectors.openConfig(tenant, connectorId);
    const held = isObject(config.oauth) ? (config.oauth as unknown as OAuthConnection) : undefined;
    if (!held) throw new ValidationError("the connector has no OAuth connection to refresh (connect it through GET /api/v1/oauth/{provider}/authorize)", "connector_uuid");
    if (held.provider !== name) throw new ValidationError(`the connector is connected through ${held.provider}, not ${name}`, "provider");
    const binding = await this.deps.grants.get(held.grant_key);
    const failed = (type: string, message: string) => new OAuthRefreshError(message, { connector_uuid: connectorId, error_type: type });
    if (!binding || binding.tenant !== tenant || binding.connector_id !== connectorId) {
      throw failed("credentials_expired", `this connector's OAuth connection is no longer on record; connect it again through GET /api/v1/oauth/${name}/authorize`);
    }
    let renewed: OAuthConnection;
    try {
      renewed = await this.deps.renewal.refresh(held.grant_key, binding, { force: true });
    } catch (error) {
      if (error instanceof SourceError) throw failed(error.type, error.message);
      throw error;
    }
    const view = await this.deps.connectors.get(tenant, connectorId);
    return { connector_uuid: connectorId, status: view.status, token_refreshed_at: renewed.refreshed_at ?? null, expires_at: renewed.expires_at ?? null };
  }
}
