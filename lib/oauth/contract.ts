// What a REST source needs of an authorization-code connection: fresh tokens when its access
// token is about to expire or was refused, renewed at the provider and kept in the connector's
// envelope. Sources are opened without the services (openSource takes a config), so the wiring
// root installs the one implementation for the process here, as it picks every other adapter.

/** The `oauth` block of a rest_api connection_config that an authorization-code flow connected. */
export interface OAuthConnection {
  /** The OAUTH_PROVIDERS entry it was authorized at. */
  provider: string;
  /**
   * A secret naming this authorization (redacted like the tokens): what a source hands to
   * renew, and what a refresh checks the stored config still holds before writing into it.
   */
  grant_key: string;
  access_token: string;
  refresh_token?: string;
  /** ISO 8601; absent when the provider gave no lifetime. */
  expires_at?: string;
  /** When access_token was issued (ISO 8601). */
  refreshed_at?: string;
  scope?: string;
}

export type RenewedTokens = Pick<OAuthConnection, "access_token" | "expires_at" | "refreshed_at">;

export interface OAuthGrants {
  /**
   * An access token other than `stale`: the stored one when another pull or test renewed it
   * meanwhile, else one refreshed at the provider (and stored). Throws a SourceError:
   * credentials_expired when the provider refuses the refresh token (the connector is marked error).
   */
  renew(connection: Pick<OAuthConnection, "provider" | "grant_key">, stale: string, signal?: AbortSignal): Promise<RenewedTokens>;
}

let installed: OAuthGrants | undefined;

/** Called once by createServices. */
export function installOAuthGrants(grants: OAuthGrants): void {
  installed = grants;
}

export function oauthGrants(): OAuthGrants | undefined {
  return installed;
}
