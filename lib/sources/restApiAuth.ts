// Bearer tokens for auth_type oauth2, one TokenSource per opened source (so per pull or test):
// the client-credentials grant fetches a token and keeps it until it nears expiry or the API
// refuses it; an authorization-code connection uses its stored token and has the installed
// OAuthGrants renew it.
import type { RestApiConfig } from "../connectors/restApiSchema.js";
import { oauthGrants, type OAuthConnection } from "../oauth/contract.js";
import { OAuthTokenError } from "../oauth/errors.js";
import { isExpiring, requestTokens, sourceErrorOf } from "../oauth/tokenEndpoint.js";
import { SourceError } from "./errors.js";

export interface TokenSource {
  /** A token for the next request: the one held, or a new one when it is about to expire. */
  token(signal?: AbortSignal): Promise<string>;
  /** The API refused `token` (401): the next token() gets another. */
  refused(token: string): void;
  /** The credentials held now (tokens, client secret), so messages can be scrubbed of them. */
  secrets(): string[];
}

interface Held {
  token: string;
  expiresAt?: string;
  issuedAt: string | number | undefined;
}

/** Holds one token and renews it through `renew`, one renewal at a time however many requests ask. */
abstract class RenewingTokens implements TokenSource {
  protected held: Held | undefined;
  private renewing: Promise<Held> | undefined;
  private readonly seen = new Set<string>();

  protected abstract renew(stale: string | undefined, signal?: AbortSignal): Promise<Held>;

  async token(signal?: AbortSignal): Promise<string> {
    const held = this.held;
    if (held && !isExpiring(held.expiresAt, held.issuedAt)) return held.token;
    this.renewing ??= this.renew(held?.token, signal).finally(() => (this.renewing = undefined));
    this.held = await this.renewing;
    this.seen.add(this.held.token);
    return this.held.token;
  }

  refused(token: string): void {
    if (this.held?.token === token) this.held = { ...this.held, expiresAt: new Date(0).toISOString() };
  }

  secrets(): string[] {
    return [...this.seen];
  }
}

class ClientCredentialsTokens extends RenewingTokens {
  constructor(private readonly config: RestApiConfig) {
    super();
  }

  protected async renew(_stale: string | undefined, signal?: AbortSignal): Promise<Held> {
    const { token_url, client_id, client_secret, client_auth, scopes, audience } = this.config;
    const grant: Record<string, string> = { grant_type: "client_credentials" };
    if (scopes?.length) grant.scope = scopes.join(" ");
    if (audience) grant.audience = audience;
    const issuedAt = Date.now();
    try {
      const issued = await requestTokens({ token_url: token_url!, client_id: client_id!, client_secret: client_secret!, client_auth }, grant, { signal });
      return { token: issued.access_token, expiresAt: issued.expires_at, issuedAt };
    } catch (error) {
      throw error instanceof OAuthTokenError ? sourceErrorOf(error, "the client-credentials grant failed") : error;
    }
  }

  override secrets(): string[] {
    return [...super.secrets(), this.config.client_secret ?? ""];
  }
}

class AuthorizationCodeTokens extends RenewingTokens {
  constructor(private readonly connection: OAuthConnection) {
    super();
    this.held = { token: connection.access_token, expiresAt: connection.expires_at, issuedAt: connection.refreshed_at };
  }

  protected async renew(stale: string | undefined, signal?: AbortSignal): Promise<Held> {
    const grants = oauthGrants();
    if (!grants) {
      throw new SourceError("authentication_failed", "the OAuth access token expired and this process cannot renew it (no OAuth providers are wired)");
    }
    const renewed = await grants.renew(this.connection, stale ?? this.connection.access_token, signal);
    return { token: renewed.access_token, expiresAt: renewed.expires_at, issuedAt: renewed.refreshed_at };
  }

  override secrets(): string[] {
    return [...super.secrets(), this.connection.access_token, this.connection.refresh_token ?? ""];
  }
}

/** The token source of an oauth2 config: its connected authorization (`oauth`), or the client-credentials grant. */
export function tokenSourceFor(config: RestApiConfig): TokenSource | undefined {
  if (config.auth_type !== "oauth2") return undefined;
  return config.oauth ? new AuthorizationCodeTokens(config.oauth) : new ClientCredentialsTokens(config);
}
