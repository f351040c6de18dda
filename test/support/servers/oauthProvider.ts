// A real OAuth 2.0 authorization server for the tests (panva's oidc-provider, on 127.0.0.1):
// one confidential client with the authorization-code grant (PKCE required, refresh tokens
// rotated at every use), the client-credentials grant, short token lifetimes, and an interaction
// step that signs the user in and consents at once (or denies, when told). Beside it, on the same
// port, a small API under /api that accepts the provider's access tokens and nothing else.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// @ts-expect-error -- oidc-provider ships no type declarations
import Provider from "oidc-provider";
import { LOOPBACK } from "./net.js";

export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Where the provider may send the user back (Sluice's callback URLs). */
  redirectUris: string[];
  accessTokenTtlSeconds: number;
  clientCredentialsTtlSeconds: number;
  /** Items the API serves, 10 a page. */
  items: number;
}

export interface OAuthTestServer {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** The API's base URL: GET {apiUrl}/items?page=N. */
  apiUrl: string;
  /** Every token and code the provider issued (access, refresh, client credentials, codes). */
  issued: Set<string>;
  /** Successful grants at the token endpoint, by grant_type. */
  grants: Record<string, number>;
  /** Refused grants at the token endpoint, by grant_type and error. */
  refusals: string[];
  /** Bearer tokens the API was sent, in order. */
  apiTokens: string[];
  /** The API answers the next `count` requests 401, whatever their token. */
  rejectNext(count: number): void;
  /** The next interaction denies access instead of consenting. */
  denyNext(): void;
  /** Revokes every refresh token issued so far (RFC 7009, at the provider's revocation endpoint). */
  revokeRefreshTokens(): Promise<void>;
  stop(): Promise<void>;
}

const PAGE = 10;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startOAuthProvider(options: OAuthProviderOptions): Promise<OAuthTestServer> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => send(res, 503, { error: "starting" });
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const issuer = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`;

  const issued = new Set<string>();
  const refreshTokens: string[] = [];
  const grants: Record<string, number> = {};
  const refusals: string[] = [];
  const apiTokens: string[] = [];
  let rejecting = 0;
  let denying = false;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "openid api:read",
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    scopes: ["openid", "api:read"],
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      ClientCredentials: options.clientCredentialsTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 600,
      Grant: 3600,
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed("refresh_token"),
    // Rotation at every use: a refreshed token that Sluice failed to store would be refused next time.
    rotateRefreshToken: () => true,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    cookies: { keys: ["oauth-test-cookie-key"] },
  });
  provider.on("access_token.saved", (token: { jti: string }) => issued.add(token.jti));
  provider.on("client_credentials.saved", (token: { jti: string }) => issued.add(token.jti));
  provider.on("authorization_code.saved", (token: { jti: string }) => issued.add(token.jti));
  provider.on("refresh_token.saved", (token: { jti: string }) => {
    issued.add(token.jti);
    refreshTokens.push(token.jti);
  });
  provider.on("grant.success", (ctx: { oidc: { params: { grant_type: string } } }) => {
    const type = ctx.oidc.params.grant_type;
    grants[type] = (grants[type] ?? 0) + 1;
  });
  provider.on("grant.error", (ctx: { oidc: { params?: { grant_type?: string } } }, error: { error?: string }) => {
    refusals.push(`${ctx.oidc.params?.grant_type}:${error.error}`);
  });

  /** Signs the user in, then consents to what the client asked (or denies, once). */
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (denying) {
      denying = false;
      return provider.interactionFinished(req, res, { error: "access_denied", error_description: "the user denied access" }, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name === "login") {
      return provider.interactionFinished(req, res, { login: { accountId: "test-user" } }, { mergeWithLastSubmission: false });
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, (scopes as string[]).join(" "));
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** GET /api/items?page=N with a live access token (either grant's) from the provider. */
  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (token) apiTokens.push(token);
    if (rejecting > 0) {
      rejecting--;
      return send(res, 401, { error: "invalid_token", error_description: "the access token was revoked" });
    }
    const live = token && ((await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token)));
    if (!live) return send(res, 401, { error: "invalid_token", error_description: "the access token is unknown or expired" });
    if (url.pathname === "/api/health") return send(res, 200, { ok: true });
    if (url.pathname !== "/api/items") return send(res, 404, { error: "not_found" });
    const page = Number(url.searchParams.get("page") ?? 1);
    const all = Array.from({ length: options.items }, (_, i) => ({ id: i + 1, name: `Item ${i + 1}`, owner: live.accountId ?? live.clientId }));
    send(res, 200, { page, total_pages: Math.ceil(all.length / PAGE), items: all.slice((page - 1) * PAGE, page * PAGE) });
  }

  const callback = provider.callback();
  handle = (req, res) => {
    const path = req.url ?? "/";
    const fail = (error: unknown) => send(res, 500, { error: String(error) });
    if (path.startsWith("/interaction/")) return void interact(req, res).catch(fail);
    if (path.startsWith("/api/")) return void api(req, res).catch(fail);
    callback(req, res);
  };

  return {
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    apiUrl: `${issuer}/api`,
    issued,
    grants,
    refusals,
    apiTokens,
    rejectNext: (count) => void (rejecting = count),
    denyNext: () => void (denying = true),
    async revokeRefreshTokens() {
      const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64");
      for (const token of refreshTokens) {
        const response = await fetch(`${issuer}/token/revocation`, {
          method: "POST",
          headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token, token_type_hint: "refresh_token" }),
        });
        if (!response.ok) throw new Error(`revocation answered ${response.status}: ${await response.text()}`);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
