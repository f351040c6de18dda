// OAuth 2.0 connections of rest_api connectors through the real local service, against a real
// authorization server (oidc-provider) and an API that accepts only its tokens: authorize →
// consent → callback → pull; expiry and a revoked access token renewed on their own; state
// misuse and unregistered redirect URIs refused; a revoked refresh token ending in
// credentials_expired; the client-credentials grant; the callback behind API Gateway; and no
// token or client secret in any response, log line or file of the data dir.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { handle } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../lib/connectors/redaction.js";
import { ConfigurationError } from "../../lib/errors.js";
import { createApp } from "../../lib/http/app.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { stateKey } from "../../lib/oauth/stateStore.js";
import { startHarness, type Harness } from "../support/harness.js";
import { httpApiEvent, type LambdaHandler } from "../support/lambdaEvents.js";
import { freePort } from "../support/servers/net.js";
import { startOAuthProvider, type OAuthTestServer } from "../support/servers/oauthProvider.js";

const client = { id: "sluice-test-client", secret: "oauth-client-S3cret-0123456789" };
const wrongSecret = "oauth-wrong-S3cret-9876543210";
const appPage = "https://app.example.com/connectors";
const otherPage = "https://app.example.com/settings";
const ACCESS_TTL = 4;
const ITEMS = 25;
const itemsQuery = JSON.stringify({ path: "/items", data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages" } });

let h: Harness;
let oidc: OAuthTestServer;
let callbackBase: string;
const lambdaCallbackBase = "https://api.example.com/api/v1/oauth/acme/callback";
let made = 0;

beforeAll(async () => {
  const port = await freePort();
  callbackBase = `http://127.0.0.1:${port}/api/v1/oauth/acme/callback`;
  oidc = await startOAuthProvider({
    clientId: client.id,
    clientSecret: client.secret,
    redirectUris: [callbackBase, `http://127.0.0.1:${port}/api/v1/oauth/beta/callback`, lambdaCallbackBase],
    accessTokenTtlSeconds: ACCESS_TTL,
    clientCredentialsTtlSeconds: 60,
    items: ITEMS,
  });
  const provider = { authorize_url: oidc.authorizeUrl, token_url: oidc.tokenUrl, client_id: client.id, client_secret: client.secret, scopes: ["openid"], redirect_uris: [appPage, otherPage], base_url: oidc.apiUrl };
  h = await startHarness({ PORT: String(port), PULL_OVERLAP_SECONDS: "0", OAUTH_PROVIDERS: JSON.stringify({ acme: provider, beta: provider }) });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await oidc?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const untilExpired = () => sleep(ACCESS_TTL * 1000 + 500);

/** GET without following redirects; what Sluice answered is kept for the secret scan. */
async function raw(url: string, key: string | null = h.ownerKey): Promise<{ status: number; location: URL | undefined; body: any }> {
  const response = await fetch(url, { redirect: "manual", headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await response.text();
  const location = response.headers.get("location") ?? undefined;
  h.responses.push(text, location ?? "");
  return { status: response.status, location: location ? new URL(location) : undefined, body: text ? JSON.parse(text) : undefined };
}

const authorize = (params: Record<string, string>, key?: string) => raw(`${h.url}/api/v1/oauth/acme/authorize?${new URLSearchParams(params)}`, key);

/** The user at the provider: signs in and consents (cookies kept), until sent back to `back`. */
async function consent(providerUrl: URL, back = callbackBase): Promise<URL> {
  const jar = new Map<string, string>();
  let location = providerUrl;
  for (let hop = 0; hop < 10; hop++) {
    if (location.href.startsWith(back)) return location;
    const response = await fetch(location, { redirect: "manual", headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    await response.text();
    const next = response.headers.get("location");
    if (!next) throw new Error(`the provider stopped at ${response.status} ${location.pathname}`);
    location = new URL(next, location);
  }
  throw new Error("too many redirects at the provider");
}

function createFields(): { name: string; collection: string; record_type: string; query: string } {
  made++;
  return { name: `oauth ${made}`, collection: `oauth_${made}`, record_type: "item", query: itemsQuery };
}

/** authorize → consent → callback; the final redirect to the app page. */
async function connect(params: Record<string, string> = createFields()): Promise<URL> {
  const start = await authorize(params);
  expect(start.status, JSON.stringify(start.body)).toBe(302);
  const back = await raw((await consent(start.location!)).href, null);
  expect(back.status, JSON.stringify(back.body)).toBe(302);
  return back.location!;
}

async function connected(params?: Record<string, string>): Promise<string> {
  const done = await connect(params);
  expect(done.searchParams.get("status"), done.href).toBe("success");
  return done.searchParams.get("uuid")!;
}

async function pull(id: string) {
  const response = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=60`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

const connector = async (id: string) => (await h.request("GET", `/api/v1/connectors/${id}`)).body;
const countIn = async (collection: string) => (await h.request("GET", "/api/v1/connectors?limit=100")).body.items.filter((c: any) => c.collection === collection).length;

describe("authorization code with PKCE", () => {
  it("authorize sends the user to the provider with an S256 challenge and a state", async () => {
    const start = await authorize(createFields());
    expect(start.status).toBe(302);
    const params = start.location!.searchParams;
    expect(start.location!.href.startsWith(oidc.authorizeUrl)).toBe(true);
    expect(Object.fromEntries(params)).toMatchObject({ response_type: "code", client_id: client.id, redirect_uri: callbackBase, scope: "openid", code_challenge_method: "S256" });
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("authorize → callback creates the connector, which pulls with the provider's token", async () => {
    const fields = createFields();
    const done = await connect({ ...fields, redirect_uri: otherPage, state: "app-csrf-7" });
    expect(`${done.origin}${done.pathname}`).toBe(otherPage);
    expect(Object.fromEntries(done.searchParams)).toEqual({ uuid: expect.stringMatching(/^conn_/), status: "success", state: "app-csrf-7" });
    const id = done.searchParams.get("uuid")!;
    const view = await connector(id);
    expect(view).toMatchObject({ name: fields.name, connector_type: "rest_api", collection: fields.collection, status: "active" });
    expect(view.connection_config).toMatchObject({ base_url: oidc.apiUrl, auth_type: "oauth2" });
    expect(view.connection_config.oauth).toMatchObject({ provider: "acme", access_token: REDACTED, refresh_token: REDACTED, grant_key: REDACTED, expires_at: expect.any(String) });
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: ITEMS, records_uploaded: ITEMS });
    const record = (await h.request("GET", `/api/v1/records/${fields.collection}/item/7`)).body;
    expect(record).toMatchObject({ name: "Item 7", vertical_data: { owner: "test-user" } });
  });

  it("an expired access token is refreshed before the next pull and test, and the rotated refresh token is kept", async () => {
    const id = await connected();
    await pull(id);
    const before = (await connector(id)).connection_config.oauth.expires_at;
    for (let round = 1; round <= 2; round++) {
      await untilExpired();
      const refreshes = oidc.grants.refresh_token ?? 0;
      expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: ITEMS, duplicates_skipped: ITEMS });
      // One refresh for the three pages; the provider refuses a rotated refresh token used twice.
      expect(oidc.grants.refresh_token).toBe(refreshes + 1);
    }
    expect((await connector(id)).connection_config.oauth.expires_at).not.toBe(before);
    await untilExpired();
    const refreshes = oidc.grants.refresh_token!;
    const tested = await h.request("POST", `/api/v1/connectors/${id}/test`);
    expect(tested.body, tested.text).toMatchObject({ status: "success" });
    expect(oidc.grants.refresh_token).toBe(refreshes + 1);
    expect(oidc.refusals).toEqual([]);
  }, 60_000);

  it("a token the API refuses before its expiry is renewed once and the request retried", async () => {
    const id = await connected();
    const refreshes = oidc.grants.refresh_token ?? 0;
    oidc.rejectNext(1);
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: ITEMS });
    expect(oidc.grants.refresh_token).toBe(refreshes + 1);
  });

  it("POST /oauth/{provider}/refresh renews the tokens on demand", async () => {
    const id = await connected();
    const response = await h.request("POST", "/api/v1/oauth/acme/refresh", { body: { connector_uuid: id } });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ connector_uuid: id, status: "active", token_refreshed_at: expect.any(String), expires_at: expect.any(String) });
    expect(Date.parse(response.body.expires_at) - Date.parse(response.body.token_refreshed_at)).toBe(ACCESS_TTL * 1000);
    expect((await h.request("POST", "/api/v1/oauth/nobody/refresh", { body: { connector_uuid: id } })).status).toBe(404);
    expect((await h.request("POST", "/api/v1/oauth/beta/refresh", { body: { connector_uuid: id } })).body).toMatchObject({ error: "validation_error", field: "provider" });
    expect((await h.request("POST", "/api/v1/oauth/acme/refresh", { body: {} })).body).toMatchObject({ error: "validation_error", field: "connector_uuid" });
  });

  it("connector_id attaches the tokens to an existing rest_api connector", async () => {
    const fields = createFields();
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: fields.name, connector_type: "rest_api", collection: fields.collection, record_type: "item", query: itemsQuery, connection_config: { base_url: oidc.apiUrl, auth_type: "bearer", auth_token: "stale-bearer-S3cret" } },
    });
    expect(await pull(created.body.id)).toMatchObject({ status: "failed", error: { type: "authentication_failed" } });
    expect(await connected({ connector_id: created.body.id })).toBe(created.body.id);
    const view = await connector(created.body.id);
    expect(view.connection_config.auth_token).toBeUndefined();
    expect(view.connection_config).toMatchObject({ auth_type: "oauth2", oauth: { provider: "acme" } });
    expect(await pull(created.body.id)).toMatchObject({ status: "completed", records_pulled: ITEMS });
  });
});

describe("refusals", () => {
  it("an unregistered redirect_uri, an unknown provider and a viewer key are refused at authorize", async () => {
    const unregistered = await authorize({ ...createFields(), redirect_uri: "https://evil.example.com/steal" });
    expect(unregistered.status).toBe(400);
    expect(unregistered.location).toBeUndefined();
    expect(unregistered.body).toMatchObject({ error: "validation_error", field: "redirect_uri" });
    expect((await raw(`${h.url}/api/v1/oauth/nobody/authorize?collection=c`)).status).toBe(404);
    expect((await authorize({ ...createFields(), collection: "bad collection" })).body).toMatchObject({ error: "validation_error", field: "collection" });
    const viewer = (await h.request("POST", "/api/v1/api-keys", { body: { role: "viewer" } })).body.key;
    expect((await authorize(createFields(), viewer)).status).toBe(403);
    expect((await raw(`${h.url}/api/v1/oauth/acme/authorize?collection=c`, null)).status).toBe(401);
  });

  it("a forged state, a reused state, another provider's state and an expired state store no tokens", async () => {
    const forged = await raw(`${callbackBase}?code=whatever&state=forged-state-value`, null);
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ error: "validation_error", field: "state" });

    const fields = createFields();
    const start = await authorize(fields);
    const back = await consent(start.location!);
    const other = new URL(back.href.replace("/oauth/acme/", "/oauth/beta/"));
    expect((await raw(other.href, null)).status).toBe(400);
    expect((await raw(back.href, null)).location?.searchParams.get("status")).toBe("success");
    const reused = await raw(back.href, null);
    expect(reused.status).toBe(400);
    expect(reused.body.message).toMatch(/used already/);
    expect(await countIn(fields.collection)).toBe(1);

    const late = createFields();
    const expiring = await authorize(late);
    const state = expiring.location!.searchParams.get("state")!;
    await h.service.services.db.send(
      new UpdateCommand({ TableName: h.service.services.config.controlTable, Key: stateKey(state), UpdateExpression: "SET expires_at = :past", ExpressionAttributeValues: { ":past": Math.floor(Date.now() / 1000) - 1 } }),
    );
    const expired = await raw((await consent(expiring.location!)).href, null);
    expect(expired.status).toBe(400);
    expect(expired.body.message).toMatch(/state expired/);
    expect(await countIn(late.collection)).toBe(0);
  });

  it("a code brought back with another flow's state fails PKCE at the provider: no connector", async () => {
    const first = createFields();
    const second = createFields();
    const a = await authorize(first);
    const b = await authorize(second);
    const backA = await consent(a.location!);
    backA.searchParams.set("state", b.location!.searchParams.get("state")!);
    const done = await raw(backA.href, null);
    expect(done.status).toBe(302);
    expect(done.location!.searchParams.get("error")).toBe("token_exchange_failed");
    expect(done.location!.searchParams.get("message")).toMatch(/invalid_grant/);
    expect(done.location!.searchParams.get("uuid")).toBeNull();
    expect(await countIn(first.collection)).toBe(0);
    expect(await countIn(second.collection)).toBe(0);
  });

  it("a user who denies access, or a key revoked meanwhile, ends on the app page with error and message", async () => {
    oidc.denyNext();
    const denied = await connect();
    expect(Object.fromEntries(denied.searchParams)).toEqual({ error: "authorization_failed", message: "the user denied access" });

    const editor = (await h.request("POST", "/api/v1/api-keys", { body: { role: "editor" } })).body;
    const start = await authorize(createFields(), editor.key);
    const back = await consent(start.location!);
    expect((await h.request("DELETE", `/api/v1/api-keys/${editor.key_id}`)).status).toBe(204);
    const revoked = await raw(back.href, null);
    expect(revoked.location!.searchParams.get("error")).toBe("authorization_failed");
    expect(revoked.location!.searchParams.get("message")).toMatch(/revoked/);
  });

  it("a revoked refresh token ends in credentials_expired: the test and the pull fail, the connector is in error", async () => {
    const id = await connected();
    await oidc.revokeRefreshTokens();
    await untilExpired();
    const tested = (await h.request("POST", `/api/v1/connectors/${id}/test`)).body;
    expect(tested).toMatchObject({ status: "failed", error: { type: "credentials_expired" } });
    expect(await connector(id)).toMatchObject({ status: "error", last_error: expect.stringMatching(/refused the refresh token/) });
    const run = await pull(id);
    expect(run).toMatchObject({ status: "failed", error: { type: "credentials_expired" } });
    expect((await connector(id)).status).toBe("error");
    const refresh = await h.request("POST", "/api/v1/oauth/acme/refresh", { body: { connector_uuid: id } });
    expect(refresh.status).toBe(409);
    expect(refresh.body).toMatchObject({ details: { connector_uuid: id, error_type: "credentials_expired" } });
    // Connected again, it is active and pulls.
    expect(await connected({ connector_id: id })).toBe(id);
    expect((await connector(id)).status).toBe("active");
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: ITEMS });
  }, 30_000);
});

describe("client credentials", () => {
  const config = (secret = client.secret) => ({ base_url: oidc.apiUrl, auth_type: "oauth2", token_url: oidc.tokenUrl, client_id: client.id, client_secret: secret, scopes: ["api:read"] });
  const create = (connection: Record<string, unknown>) => {
    const fields = createFields();
    return h.request("POST", "/api/v1/connectors", { body: { ...fields, connector_type: "rest_api", connection_config: connection } });
  };

  it("fetches one token per pull, and another when the API refuses it", async () => {
    const created = await create(config());
    expect(created.status, created.text).toBe(201);
    expect(created.body.connection_config).toMatchObject({ client_id: client.id, client_secret: REDACTED, scopes: ["api:read"] });
    const grants = oidc.grants.client_credentials ?? 0;
    expect(await pull(created.body.id)).toMatchObject({ status: "completed", records_pulled: ITEMS });
    expect(oidc.grants.client_credentials).toBe(grants + 1);
    oidc.rejectNext(1);
    expect(await pull(created.body.id)).toMatchObject({ status: "completed", duplicates_skipped: ITEMS });
    expect(oidc.grants.client_credentials).toBe(grants + 3);
    expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/test`)).body).toMatchObject({ status: "success" });
  });

  it("a wrong client secret fails as authentication_failed, scrubbed", async () => {
    const created = await create(config(wrongSecret));
    const run = await pull(created.body.id);
    expect(run).toMatchObject({ status: "failed", error: { type: "authentication_failed", code: "invalid_client" } });
    expect(run.error.message).toMatch(/client-credentials grant failed: the token endpoint at 127\.0\.0\.1:\d+ answered 401 invalid_client/);
  });

  it("the config is checked: oauth2 needs the client-credentials fields or a connection", async () => {
    const none = await create({ base_url: oidc.apiUrl, auth_type: "oauth2" });
    expect(none.body).toMatchObject({ error: "validation_error", field: "connection_config.auth_type" });
    expect(none.body.message).toMatch(/token_url, client_id and client_secret/);
    const partial = await create({ base_url: oidc.apiUrl, auth_type: "oauth2", token_url: oidc.tokenUrl, client_id: client.id });
    expect(partial.body).toMatchObject({ error: "validation_error", field: "connection_config.client_secret" });
    const stray = await create({ base_url: oidc.apiUrl, auth_type: "bearer", auth_token: "x-token-value", client_secret: "s3cret-value" });
    expect(stray.body).toMatchObject({ error: "validation_error", field: "connection_config.client_secret" });
  });
});

describe("behind API Gateway", () => {
  it("authorize takes the callback URL from the API's domain, and the callback needs no API key", async () => {
    const handler = handle(createApp(h.service.services)) as unknown as LambdaHandler;
    const fields = createFields();
    const event = httpApiEvent("GET", "/api/v1/oauth/acme/authorize", { key: h.ownerKey });
    const started = (await handler({ ...event, rawQueryString: new URLSearchParams(fields).toString() }, {})) as any;
    expect(started.statusCode, started.body).toBe(302);
    const location = new URL(started.headers.location);
    expect(location.searchParams.get("redirect_uri")).toBe(lambdaCallbackBase);
    const back = await consent(location, lambdaCallbackBase);
    const callback = httpApiEvent("GET", "/api/v1/oauth/acme/callback", { key: "" });
    delete (callback.headers as Record<string, string>).authorization;
    const done = (await handler({ ...callback, rawQueryString: back.search.slice(1) }, {})) as any;
    expect(done.statusCode, done.body).toBe(302);
    h.responses.push(done.body, done.headers.location);
    const final = new URL(done.headers.location);
    expect(final.searchParams.get("status")).toBe("success");
    expect(await pull(final.searchParams.get("uuid")!)).toMatchObject({ status: "completed", records_pulled: ITEMS });
  });
});

describe("OAUTH_PROVIDERS", () => {
  const load = (value: unknown) => () => loadConfig("local", { OAUTH_PROVIDERS: typeof value === "string" ? value : JSON.stringify(value) });
  const good = { authorize_url: "https://idp.example.com/authorize", token_url: "https://idp.example.com/token", client_id: "sluice", client_secret: client.secret, redirect_uris: [appPage] };

  it("is read once into the config, with defaults", () => {
    expect(load({ acme: good })().oauthProviders).toEqual({ acme: { ...good, scopes: [], client_auth: "basic" } });
    expect(loadConfig("local", {}).oauthProviders).toEqual({});
  });

  it.each([
    ["not JSON", `{"acme": {"client_secret": "${client.secret}"`, /^OAUTH_PROVIDERS is not valid JSON/],
    ["a missing field", { acme: { ...good, token_url: undefined } }, /^OAUTH_PROVIDERS\.acme\.token_url: /],
    ["no redirect URI", { acme: { ...good, redirect_uris: [] } }, /^OAUTH_PROVIDERS\.acme\.redirect_uris: /],
    ["a relative URL", { acme: { ...good, authorize_url: "/authorize" } }, /^OAUTH_PROVIDERS\.acme\.authorize_url: must be an absolute/],
    ["an unknown field", { acme: { ...good, secret: client.secret } }, /^OAUTH_PROVIDERS\.acme: secret is not a known field/],
    ["a bad provider name", { "Acme Corp": good }, /^OAUTH_PROVIDERS\.Acme Corp: a provider name/],
  ])("%s is a ConfigurationError naming the variable, never quoting the secret", (_label, value, message) => {
    let thrown: unknown;
    try {
      load(value)();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain(client.secret);
  });
});

describe("secrets", () => {
  it("no token, code or client secret in any response, log line or file of the data dir", async () => {
    const secrets = [client.secret, wrongSecret, "stale-bearer-S3cret", ...oidc.issued];
    expect(oidc.issued.size).toBeGreaterThan(20);
    const everything = [...h.responses, ...h.logs];
    for (const secret of secrets) expect(everything.filter((line) => line.includes(secret)), secret).toEqual([]);
    const files = (await readdir(h.dataDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const entry of files) {
      const file = path.join(entry.parentPath, entry.name);
      const content = await readFile(file);
      for (const secret of secrets) expect(content.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
