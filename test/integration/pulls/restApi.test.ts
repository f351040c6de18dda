// The rest_api connector through the real local service, against an HTTP API written for the
// tests: every paginator and stop condition, Retry-After, 5xx retries, timeouts, each auth type
// with wrong and right credentials, incremental pulls, clear failures, connection tests,
// discovery, and no secret in any response, log line or file of the data dir.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../../lib/connectors/redaction.js";
import { catalogOf, syncAndWait } from "../../support/catalogSuite.js";
import { startHarness, type Harness } from "../../support/harness.js";
import { freePort } from "../../support/servers/net.js";
import { startRestApiServer, type RestApiServer } from "../../support/servers/restApi.js";

const creds = {
  bearer: "rest-bearer-S3cret-token",
  username: "api-user",
  password: "rest-basic-S3cret-pw",
  apiKeyHeader: "X-Api-Key",
  apiKey: "rest-apikey-S3cret-value",
};
const wrong = { bearer: "wrong-bearer-S3cret", password: "wrong-basic-S3cret", apiKey: "wrong-apikey-S3cret" };
const tenantToken = "tenant-header-S3cret";
const secretsUsed = [...Object.values(wrong), creds.bearer, creds.password, creds.apiKey, tenantToken, Buffer.from(`${creds.username}:${creds.password}`).toString("base64")];

const COUNT = 45;
type Config = Record<string, unknown>;

let h: Harness;
let api: RestApiServer;
let made = 0;

beforeAll(async () => {
  api = await startRestApiServer(creds);
  api.seed(COUNT, 3600);
  h = await startHarness({ PULL_OVERLAP_SECONDS: "0" });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await api?.stop();
});

const open = (extra: Config = {}): Config => ({ base_url: `${api.url}/open`, ...extra });

async function create(query: unknown, config: Config = open(), extra: Config = {}): Promise<{ id: string; collection: string }> {
  const collection = `rest_${++made}`;
  const response = await h.request("POST", "/api/v1/connectors", {
    body: { name: `rest ${made}`, connector_type: "rest_api", collection, record_type: "product", connection_config: config, query: JSON.stringify(query), ...extra },
  });
  expect(response.status, response.text).toBe(201);
  return { id: response.body.id, collection };
}

async function pull(id: string) {
  const response = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=120`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

const record = (collection: string, sourceId: string) => h.request("GET", `/api/v1/records/${collection}/product/${sourceId}`);
const test = async (id: string) => (await h.request("POST", `/api/v1/connectors/${id}/test`)).body;

describe("paginators", () => {
  // 45 products, 10 a page: 5 pages, a 6th (empty) where only an empty page stops the pull.
  it.each([
    ["json_link (no next link)", "/json_link/items", { data_selector: "data", paginator: { type: "json_link", next_url_path: "links.next" } }, 5],
    ["header_link (no rel=next)", "/header_link/items", { paginator: "header_link" }, 5],
    ["cursor from the response (null cursor)", "/cursor/items", { data_selector: "$.items", paginator: { type: "cursor", cursor_path: "cursors.next", cursor_param: "cursor" } }, 5],
    ["cursor from the last record (has_more false)", "/stripe/customers", { params: { limit: 10 }, data_selector: "data", paginator: { type: "cursor", cursor_path: "records[-1].id", cursor_param: "starting_after", has_more_path: "has_more" } }, 5],
    ["offset (total reached)", "/offset/items", { data_selector: "records", paginator: { type: "offset", limit: 10, total_path: "meta.total" } }, 5],
    ["offset (empty page)", "/offset/items", { data_selector: "records", paginator: { type: "offset", limit: 10 } }, 6],
    ["page_number (total pages reached)", "/page/items", { params: { per_page: 10 }, data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages" } }, 5],
    ["page_number (empty page)", "/page/items", { params: { per_page: 10 }, data_selector: "$['items']", paginator: { type: "page_number", base_page: 1 } }, 6],
    ["single_page", "/single/items", { data_selector: "data" }, 1],
  ])("%s reads every page", async (_label, route, document, requests) => {
    const before = api.requestsTo(route).length;
    const { id, collection } = await create({ path: route, ...document }, open(), { batch_size: 4 });
    const run = await pull(id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: "completed", records_pulled: COUNT, records_uploaded: COUNT, duplicates_skipped: 0 });
    expect(api.requestsTo(route).length - before).toBe(requests);
    const stored = await record(collection, "7");
    expect(stored.body).toMatchObject({ source_id: "7", name: "Product 7", vertical_data: { sku: "SKU-0007", price: 8.75, properties: { category: "odd" } } });
  });

  it("a HubSpot-style cursor (paging.next.after) with a nested name_column", async () => {
    const { id, collection } = await create(
      { path: "/hubspot/contacts", params: { limit: 20 }, data_selector: "results", paginator: { type: "cursor", cursor_path: "paging.next.after", cursor_param: "after" } },
      open(),
      { name_column: "properties.name" },
    );
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: COUNT, records_uploaded: COUNT });
    expect(api.requestsTo("/hubspot/contacts").slice(-3).map((r) => r.query.get("after"))).toEqual([null, "20", "40"]);
    expect((await record(collection, "12")).body).toMatchObject({ name: "Product 12", vertical_data: { properties: { name: "Product 12" } } });
  });

  it("a cursor that repeats stops the pull with a clear error instead of looping", async () => {
    const { id } = await create({ path: "/stripe/customers", data_selector: "data", paginator: { type: "cursor", cursor_path: "object", cursor_param: "x" } });
    const run = await pull(id);
    expect(run.status).toBe("failed");
    expect(run.error.message).toMatch(/again with the same parameters/);
  });
});

describe("resilience", () => {
  const single = { path: "/single/items", data_selector: "data" };

  it("waits out a 429's Retry-After (seconds) and a 503's (HTTP date), then succeeds", async () => {
    api.fault("/open/single/items", { status: 429, headers: { "retry-after": "1" } }, { status: 503, headers: { "retry-after": new Date(Date.now() + 3000).toUTCString() } });
    const before = api.requestsTo("/single/items").length;
    const { id } = await create(single);
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: COUNT });
    const tries = api.requestsTo("/single/items").slice(before);
    expect(tries).toHaveLength(3);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(500);
  });

  it("retries other 5xx with backoff, then succeeds", async () => {
    api.fault("/open/single/items", { status: 500 }, { status: 502 });
    const before = api.requestsTo("/single/items").length;
    const { id } = await create(single);
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: COUNT });
    expect(api.requestsTo("/single/items").length - before).toBe(3);
  });

  it("gives up on a 5xx after a bounded number of tries, with the status and the API's message", async () => {
    api.fault("/open/single/items", ...Array.from({ length: 5 }, () => ({ status: 500, body: JSON.stringify({ error: { message: "database is on fire" } }) })));
    const before = api.requestsTo("/single/items").length;
    const { id } = await create(single);
    const run = await pull(id);
    expect(run).toMatchObject({ status: "failed", error: { type: "http_error", code: "500" } });
    expect(run.error.message).toMatch(/500 .*GET \/open\/single\/items \(after 5 tries\): database is on fire/);
    expect(api.requestsTo("/single/items").length - before).toBe(5);
  }, 30_000);

  it("fails at once on another 4xx, with the status and the API's message", async () => {
    const { id } = await create({ path: "/no/such/route" });
    const run = await pull(id);
    expect(run).toMatchObject({ status: "failed", error: { type: "http_error", code: "404" } });
    expect(run.error.message).toMatch(/404 Not Found to GET \/open\/no\/such\/route: no route/);
    const connector = (await h.request("GET", `/api/v1/connectors/${id}`)).body;
    expect(connector).toMatchObject({ status: "error", last_error: run.error.message });
  });

  it("a page slower than timeout_seconds fails the pull as a timeout", async () => {
    // Each try of the pull reads page 1, then page 2 stalls (the runner tries a timeout 3 times).
    api.fault("/open/offset/items", ...Array.from({ length: 3 }, () => [{ pass: true } as const, { delayMs: 3000 }]).flat());
    const { id } = await create({ path: "/offset/items", data_selector: "records", paginator: { type: "offset", limit: 10 } }, open({ timeout_seconds: 1 }));
    const run = await pull(id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: "failed", error: { type: "timeout" } });
    expect(run.error.message).toMatch(/within 1 s \(timeout_seconds\)/);
  }, 30_000);

  it("a body that is not JSON fails clearly", async () => {
    api.fault("/open/single/items", { html: true });
    const { id } = await create(single);
    const run = await pull(id);
    expect(run).toMatchObject({ status: "failed", error: { type: "query_error" } });
    expect(run.error.message).toMatch(/GET \/open\/single\/items is not JSON \(text\/html.*it starts "<html>/);
  });

  it("a data_selector that finds no array fails clearly, as does an object body without one", async () => {
    const missing = await create({ path: "/single/items", data_selector: "payload.rows" });
    const run = await pull(missing.id);
    expect(run).toMatchObject({ status: "failed", error: { type: "query_error" } });
    expect(run.error.message).toBe('data_selector "payload.rows" found nothing in the response to GET /open/single/items, not an array of records');
    const object = await create({ path: "/health" });
    expect((await pull(object.id)).error.message).toMatch(/is an object, not an array of records: set data_selector/);
  });
});

describe("credentials", () => {
  const auth = {
    bearer: { right: { auth_type: "bearer", auth_token: creds.bearer }, wrong: { auth_type: "bearer", auth_token: wrong.bearer } },
    basic: { right: { auth_type: "basic", username: creds.username, password: creds.password }, wrong: { auth_type: "basic", username: creds.username, password: wrong.password } },
    key: { right: { auth_type: "api_key", api_key_header: creds.apiKeyHeader, api_key_value: creds.apiKey }, wrong: { auth_type: "api_key", api_key_header: creds.apiKeyHeader, api_key_value: wrong.apiKey } },
  };

  it.each(Object.entries(auth))("%s: wrong credentials fail as authentication_failed (scrubbed), right ones pull", async (prefix, { right, wrong: bad }) => {
    const query = { path: "/single/items", data_selector: "data" };
    const config = (extra: Config) => ({ base_url: `${api.url}/${prefix}`, test_path: "/health", headers: { "X-Tenant-Token": tenantToken, "X-Trace": "rest-test" }, ...extra });
    const failing = await create(query, config(bad));
    const run = await pull(failing.id);
    expect(run).toMatchObject({ status: "failed", error: { type: "authentication_failed", code: "401" } });
    // The API echoes the credential it got; the message shows it redacted.
    expect(run.error.message).toContain(`invalid credentials: ${prefix === "bearer" ? "Bearer " : prefix === "basic" ? `${creds.username}:` : ""}${REDACTED}`);
    expect(await test(failing.id)).toMatchObject({ status: "failed", error: { type: "authentication_failed", code: "401" } });

    const working = await create(query, config(right));
    expect(await pull(working.id)).toMatchObject({ status: "completed", records_pulled: COUNT });
    expect(await test(working.id)).toMatchObject({ status: "success" });
    const view = (await h.request("GET", `/api/v1/connectors/${working.id}`)).body;
    for (const field of ["auth_token", "password", "api_key_value"]) if (field in right) expect(view.connection_config[field]).toBe(REDACTED);
    expect(view.connection_config.headers).toEqual({ "X-Tenant-Token": REDACTED, "X-Trace": "rest-test" });
    // The redacted config sent back keeps the stored secrets.
    const patched = await h.request("PATCH", `/api/v1/connectors/${working.id}`, { body: { connection_config: { ...view.connection_config, timeout_seconds: 5 } } });
    expect(patched.status, patched.text).toBe(200);
    expect(await pull(working.id)).toMatchObject({ status: "completed", duplicates_skipped: COUNT });
  });
});

describe("incremental pulls", () => {
  it("with :last_pull_epoch: the first pull binds 0, the second reads only what changed", async () => {
    const { id } = await create({ path: "/page/items", params: { since_epoch: ":last_pull_epoch", per_page: 10 }, data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages" } });
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: COUNT });
    expect(api.requestsTo("/page/items").at(-1)!.query.get("since_epoch")).toBe("0");
    api.touch(5, "Product 5 (renamed)");
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: 1, records_uploaded: 1 });
  });

  it("with :last_pull: the first pull binds 1970-01-01, the second reads only the records changed between", async () => {
    const { id, collection } = await create({ path: "/cursor/items", params: { updated_since: ":last_pull" }, data_selector: "items", paginator: { type: "cursor" } });
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: COUNT });
    expect(api.requestsTo("/cursor/items").at(-5)!.query.get("updated_since")).toBe("1970-01-01T00:00:00.000Z");
    api.touch(3, "Product 3 (renamed)");
    api.touch(8, "Product 8 (renamed)");
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: 2, records_uploaded: 2, duplicates_skipped: 0 });
    const since = api.requestsTo("/cursor/items").at(-1)!.query.get("updated_since")!;
    expect(new Date(since).toISOString()).toBe(since);
    expect((await record(collection, "3")).body.name).toBe("Product 3 (renamed)");
    expect(await pull(id)).toMatchObject({ status: "completed", records_pulled: 0 });
  });
});

describe("validation", () => {
  it.each([
    ["query.paginator.type", { path: "/x", paginator: { type: "link_header" } }, /type must be one of json_link, header_link/],
    ["query.path", { data_selector: "data" }, /query.path is required/],
    ["query.paginator.limit", { path: "/x", paginator: { type: "offset" } }, /required/],
    ["query.paginator.cursor_paramx", { path: "/x", paginator: { type: "cursor", cursor_paramx: "a" } }, /is not a known field/],
    ["query.data_selector", { path: "/x", data_selector: "$..items" }, /not a path/],
    ["query.path", { path: "https://elsewhere.example/x" }, /relative to base_url/],
  ])("the query document is checked field by field: %s", async (field, query, message) => {
    const response = await h.request("POST", "/api/v1/connectors", { body: { name: "bad", connector_type: "rest_api", collection: "c", record_type: "r", connection_config: open(), query: JSON.stringify(query) } });
    expect(response.status, response.text).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field });
    expect(response.body.message).toMatch(message);
  });

  it.each([
    ["connection_config.auth_type", () => open({ auth_type: "oauth2" }), /oauth2 needs token_url, client_id and client_secret/],
    ["connection_config.auth_token", () => open({ auth_type: "bearer" }), /auth_token is required with auth_type bearer/],
    ["connection_config.auth_type", () => open({ auth_token: "x-token-value" }), /auth_type is required when auth_token is given/],
    ["connection_config.base_url", () => ({ base_url: "ftp://example.com" }), /http:\/\/ or https:\/\//],
    ["connection_config.base_url", () => ({ base_url: "https://user:pw@example.com" }), /auth_type basic/],
    ["connection_config.headers.Authorization", () => open({ headers: { Authorization: "Bearer abc" } }), /would not be redacted/],
  ])("the config is checked: %s", async (field, config: () => Config, message) => {
    const response = await h.request("POST", "/api/v1/connectors", { body: { name: "bad", connector_type: "rest_api", collection: "c", record_type: "r", connection_config: config(), query: '{"path": "/x"}' } });
    expect(response.status, response.text).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field });
    expect(response.body.message).toMatch(message);
  });

  it("a query that is not a JSON object is refused", async () => {
    const response = await h.request("POST", "/api/v1/connectors", { body: { name: "bad", connector_type: "rest_api", collection: "c", record_type: "r", connection_config: open(), query: "/v1/items" } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ field: "query" });
  });
});

describe("connection tests", () => {
  const query = { path: "/single/items", data_selector: "data" };

  it("succeed with latency, status and server time", async () => {
    const { id } = await create(query, open({ test_path: "/health" }));
    const result = await test(id);
    expect(result).toMatchObject({ status: "success", details: { version: "HTTP 200", schemas_available: [] } });
    expect(result.latency_ms).toEqual(expect.any(Number));
    expect(new Date(result.details.server_time).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("report each failure with its type", async () => {
    const closed = await freePort();
    const failures: [string, Config, string][] = [
      ["wrong token", { base_url: `${api.url}/bearer`, auth_type: "bearer", auth_token: wrong.bearer, test_path: "/health" }, "authentication_failed"],
      ["unknown host", { base_url: "http://no-such-host.invalid" }, "dns_not_found"],
      ["closed port", { base_url: `http://127.0.0.1:${closed}` }, "connection_refused"],
      ["slow answer", open({ test_path: "/slow?ms=3000", timeout_seconds: 1 }), "timeout"],
      ["TLS to a plain HTTP port", { base_url: `https://127.0.0.1:${api.port}/open`, test_path: "/health" }, "ssl_error"],
      ["no such path", open({ test_path: "/nothing/here" }), "http_error"],
    ];
    for (const [label, config, type] of failures) {
      const { id } = await create(query, config);
      const result = await test(id);
      expect(result.status, `${label}: ${JSON.stringify(result)}`).toBe("failed");
      expect(result.error.type, `${label}: ${JSON.stringify(result)}`).toBe(type);
      if (type === "http_error") expect(result.error).toMatchObject({ code: "404" });
    }
    const refused = await h.request("POST", "/api/v1/connectors", {
      body: { name: "tested", connector_type: "rest_api", collection: "c", record_type: "r", connection_config: failures[0]![1], query: JSON.stringify(query), test_connection: true },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: "connection_failed", test_results: { error_type: "authentication_failed" } });
  }, 30_000);
});

describe("discovery", () => {
  it("samples the endpoint and infers fields and types, one collection named after the path", async () => {
    const { id } = await create({ path: "/single/items", data_selector: "data" }, open({ test_path: "/single/items" }));
    const sync = await syncAndWait(h, id);
    expect(sync, JSON.stringify(sync)).toMatchObject({ status: "completed", error: null });
    const entries = await catalogOf(h, id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "collection", name: "/single/items" });
    const columns = Object.fromEntries(entries[0].columns.map((c: any) => [c.name, c]));
    expect(columns.id).toMatchObject({ data_type: "number", primary_key: true, nullable: false });
    expect(columns.name).toMatchObject({ data_type: "string" });
    expect(columns.properties).toMatchObject({ data_type: "object" });
    expect(columns["properties.category"]).toMatchObject({ data_type: "string" });
    expect(columns.updated_at).toMatchObject({ data_type: "string" });
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)])));
  return nested.flat();
}

describe("secrets", () => {
  it("appear in no response, log line or file of the data dir", async () => {
    const everything = [...h.responses, ...h.logs];
    for (const secret of secretsUsed) expect(everything.filter((line) => line.includes(secret)), secret).toEqual([]);
    const files = await filesUnder(h.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const content = await readFile(file);
      for (const secret of secretsUsed) expect(content.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
