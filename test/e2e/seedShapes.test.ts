// The seeds' example bodies as written (test/fixtures/seeds: Querri's connectors API, Qarion's
// catalog connectors API and its SDK), over HTTP against the local service, with the status the
// seed expects and the fields its answers show; and the bad cases: an alias with its canonical
// field, unknown fields, wrong types, a catalog-only connector pulled or scheduled.
// Hosts in the seeds do not exist here: their connection tests fail as the seed's own
// connection_failed example; the same bodies against a real PostgreSQL pass them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../lib/connectors/redaction.js";
import { leaseName } from "../../lib/pull/runner.js";
import { startHarness, type Harness } from "../support/harness.js";
import { postgresWith } from "../support/postgresWith.js";
import type { PostgresServer } from "../support/servers/postgres.js";

const fixture = (name: string): any => JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/seeds", name), "utf8"));
const without = (body: Record<string, unknown>, ...fields: string[]): any => Object.fromEntries(Object.entries(body).filter(([key]) => !fields.includes(key)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: Harness;
let pg: PostgresServer;
beforeAll(async () => {
  h = await startHarness();
  pg = await postgresWith([
    "DROP SCHEMA IF EXISTS seedshapes CASCADE",
    "CREATE SCHEMA seedshapes",
    "CREATE TABLE seedshapes.products (id integer PRIMARY KEY, name text NOT NULL, sku text, updated_at timestamptz NOT NULL DEFAULT now())",
    "INSERT INTO seedshapes.products (id, name, sku) VALUES (1, 'Widget', 'W-1'), (2, 'Gadget', 'G-2'), (3, 'Gizmo', 'Z-3')",
  ]);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await pg?.stop();
});

let tenants = 0;
const tenantByKey = new Map<string, string>();
const tenantOf = (key: string) => tenantByKey.get(key)!;
/** A fresh tenant's key (named, so created_by shows a name), for tests that count what is stored. */
async function keyFor(role: "viewer" | "editor" | "owner" = "owner", tenant = `seeds${++tenants}`): Promise<string> {
  const { key } = await h.service.services.apiKeys.create({ tenant, role, name: `${role} of ${tenant}` });
  tenantByKey.set(key, tenant);
  return key;
}

async function stored(key: string): Promise<number> {
  return (await h.request("GET", "/api/v1/connectors?include_available=false", { key })).body.items.length;
}

/** The Querri PostgreSQL body's config, pointed at the test server (no TLS there). */
function livePostgres(config: Record<string, unknown>) {
  const { ssl_enabled: _e, ssl_mode: _m, ...rest } = config;
  return { ...rest, host: pg.host, port: pg.port, database: pg.database, username: pg.user, password: pg.password };
}

async function settledSync(key: string, jobId: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const record = await h.request("GET", `/api/v1/sync-history/${jobId}`, { key });
    if (record.body.status !== "running") return record.body;
    await sleep(25);
  }
  throw new Error(`sync ${jobId} did not finish`);
}

describe("Querri: the connectors API as written", () => {
  const creates = ["querri/create-postgresql.json", "querri/create-mongodb.json", "querri/create-rest-api.json"];

  it.each(creates)("%s verbatim: its test cannot reach the seed's host, so the seed's 400 connection_failed, nothing stored", async (name) => {
    const key = await keyFor();
    const response = await h.request("POST", "/api/v1/connectors", { key, body: fixture(name) });
    expect(response.status).toBe(400);
    const expected = fixture("querri/connection-failed-response.json");
    expect(Object.keys(response.body)).toEqual(expect.arrayContaining(Object.keys(expected)));
    expect(response.body).toMatchObject({ error: "connection_failed", message: expect.any(String), details: expect.any(String) });
    expect(response.body.test_results).toMatchObject({ error_type: "dns_not_found", attempted_at: expect.any(String) });
    expect(response.text).not.toMatch(/secure_password_123|sk_live_abc123|user:pass@/);
    expect(await stored(key)).toBe(0);
  });

  it.each(creates)("%s without the test: 201 with the fields of the seed's answer, secrets redacted", async (name) => {
    const key = await keyFor();
    const body = fixture(name);
    const response = await h.request("POST", "/api/v1/connectors", { key, body: without(body, "test_connection") });
    expect(response.status, response.text).toBe(201);
    const seed = fixture("querri/create-response.json");
    // The seed's names on the canonical model: uuid → id, type → connector_type, display_name → name, config → connection_config.
    expect(response.body).toMatchObject({
      id: expect.stringMatching(/^conn_/),
      connector_type: body.type,
      name: body.display_name,
      status: seed.status,
      created_by: { key_id: expect.stringMatching(/^key_/), name: expect.stringMatching(/^owner of /) },
      created_at: expect.any(String),
      last_tested_at: null,
      last_test_status: null,
      permissions: { can_edit: true, can_delete: true, can_share: true },
      is_active: true,
      space: "default",
      collection: null,
      record_type: null,
    });
    const shown = response.body.connection_config;
    expect(Object.keys(shown).sort()).toEqual(Object.keys(body.config).sort());
    if (body.type === "postgresql") expect(shown).toEqual({ ...seed.config, password: REDACTED });
    if (body.type === "mongodb") expect(shown.connection_string).toBe(`mongodb+srv://user:${REDACTED}@cluster.mongodb.net/`);
    if (body.type === "rest_api") expect(shown).toMatchObject({ auth_token: REDACTED, headers: body.config.headers, base_url: body.config.base_url });
    expect(response.text).not.toMatch(/secure_password_123|sk_live_abc123|user:pass@/);
    const { config } = await h.service.services.connectors.openConfig(tenantOf(key), response.body.id);
    expect(config).toEqual(body.config);
  });

  it("the PostgreSQL body against a server that exists: 201 with the seed's test_results", async () => {
    const key = await keyFor();
    const body = fixture("querri/create-postgresql.json");
    const response = await h.request("POST", "/api/v1/connectors", { key, body: { ...body, config: livePostgres(body.config) } });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toMatchObject({ last_test_status: "success", last_tested_at: expect.any(String), test_results: { latency_ms: expect.any(Number), version: expect.stringMatching(/^PostgreSQL \d+/) } });
    expect(Object.keys(response.body)).toEqual(expect.arrayContaining(["test_results", "created_by", "created_at", "last_tested_at", "last_test_status", "status"]));
  });

  it("GET /connectors?include_available=true: the connectors with permissions for the caller's role, and the available types", async () => {
    const tenant = `seeds${++tenants}`;
    const owner = await keyFor("owner", tenant);
    const body = fixture("querri/create-postgresql.json");
    const created = await h.request("POST", "/api/v1/connectors", { key: owner, body: without(body, "test_connection") });
    const seed = fixture("querri/list-response.json");
    for (const [role, permissions] of [
      ["owner", { can_edit: true, can_delete: true, can_share: true }],
      ["editor", { can_edit: true, can_delete: true, can_share: false }],
      ["viewer", { can_edit: false, can_delete: false, can_share: false }],
    ] as const) {
      const key = role === "owner" ? owner : await keyFor(role, tenant);
      const list = await h.request("GET", "/api/v1/connectors?include_available=true", { key });
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({ id: created.body.id, connector_type: "postgresql", name: "Production Database", status: "active", permissions });
      expect(list.body.items[0].created_by).toEqual(created.body.created_by);
      expect(list.body.total_available).toBe(list.body.available_types.length);
      for (const type of list.body.available_types) {
        expect(Object.keys(type)).toEqual(expect.arrayContaining(Object.keys(seed.available_types[0]).filter((field) => field !== "documentation_url")));
      }
    }
    expect((await h.request("GET", "/api/v1/connectors?type=postgresql&status=active", { key: owner })).body.items).toHaveLength(1);
    expect((await h.request("GET", "/api/v1/connectors?type=postgres", { key: owner })).body.items).toHaveLength(1);
    expect((await h.request("GET", "/api/v1/connectors?status=disabled", { key: owner })).body.items).toHaveLength(0);
  });

  it("PATCH verbatim: the seed's test of db2.example.com fails (400, nothing changed); without the test it applies", async () => {
    const key = await keyFor();
    const created = await h.request("POST", "/api/v1/connectors", { key, body: without(fixture("querri/create-postgresql.json"), "test_connection") });
    const update = fixture("querri/update.json");
    const tested = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { key, body: update });
    expect(tested.status).toBe(400);
    expect(tested.body).toMatchObject({ error: "connection_failed", test_results: { error_type: "dns_not_found" } });
    expect((await h.request("GET", `/api/v1/connectors/${created.body.id}`, { key })).body).toEqual(created.body);

    const applied = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { key, body: without(update, "test_connection") });
    expect(applied.status, applied.text).toBe(200);
    expect(applied.body).toMatchObject({ name: update.display_name, connection_config: { ...without(update.config, "password"), password: REDACTED } });
    expect((await h.service.services.connectors.openConfig(tenantOf(key), created.body.id)).config.password).toBe("new_secure_password");
  });

  it("the performance settings verbatim: accepted, shown, honoured as bounds; out of range a 400 naming the field", async () => {
    const key = await keyFor();
    const created = await h.request("POST", "/api/v1/connectors", { key, body: without(fixture("querri/create-postgresql.json"), "test_connection") });
    const id = created.body.id;
    const performance = fixture("querri/performance.json");
    const patched = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: performance });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.connection_config).toMatchObject(performance.config);
    // max_connections bounds a pull's parallel connections.
    expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { parallelism: 10 } })).status).toBe(200);
    const over = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { parallelism: 11 } });
    expect(over.body).toMatchObject({ error: "validation_error", field: "parallelism" });
    const before = (await h.request("GET", `/api/v1/connectors/${id}`, { key })).body;
    for (const [setting, values] of Object.entries({
      max_connections: [0, 65, 2.5, "10"],
      connection_timeout_seconds: [0, 301],
      idle_timeout_seconds: [0, 3601, "600"],
      statement_timeout_seconds: [0, 86_401, -1],
    })) {
      for (const value of values) {
        const response = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { config: { [setting]: value } } });
        expect(response.status, `${setting} ${value}`).toBe(400);
        expect(response.body).toMatchObject({ error: "validation_error", field: `config.${setting}` });
        const created = await h.request("POST", "/api/v1/connectors", { key, body: { ...without(fixture("querri/create-postgresql.json"), "test_connection"), config: { ...fixture("querri/create-postgresql.json").config, [setting]: value } } });
        expect(created.body).toMatchObject({ error: "validation_error", field: `config.${setting}` });
      }
    }
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key })).body).toEqual(before);
    expect(await stored(key)).toBe(1);
  });

  it("disable verbatim: 200, disabled with when, why and by whom; enable clears it", async () => {
    const key = await keyFor();
    const created = await h.request("POST", "/api/v1/connectors", { key, body: without(fixture("querri/create-postgresql.json"), "test_connection") });
    const disabled = await h.request("POST", `/api/v1/connectors/${created.body.id}/disable`, { key, body: fixture("querri/disable.json") });
    expect(disabled.status).toBe(200);
    const seed = fixture("querri/disable-response.json");
    expect(disabled.body).toMatchObject({ id: created.body.id, status: seed.status, disabled_at: expect.any(String), disabled_reason: seed.reason, is_active: false });
    expect(disabled.body.disabled_by).toEqual(created.body.created_by);
    const enabled = await h.request("POST", `/api/v1/connectors/${created.body.id}/enable`, { key });
    expect(enabled.body).toMatchObject({ status: "active", disabled_at: null, disabled_reason: null, disabled_by: null, is_active: true });
  });

  it("test and health: 200 in the seed's shapes, success against a real server, a typed failure otherwise", async () => {
    const key = await keyFor();
    const body = fixture("querri/create-postgresql.json");
    const live = (await h.request("POST", "/api/v1/connectors", { key, body: { ...without(body, "test_connection"), config: livePostgres(body.config) } })).body.id;
    const absent = (await h.request("POST", "/api/v1/connectors", { key, body: without(body, "test_connection") })).body.id;
    const success = await h.request("POST", `/api/v1/connectors/${live}/test`, { key });
    expect(success.status).toBe(200);
    const seed = fixture("querri/test-response.json");
    expect(success.body).toMatchObject({ connector_id: live, status: "success", tested_at: expect.any(String), latency_ms: expect.any(Number) });
    expect(Object.keys(success.body.details).sort()).toEqual(Object.keys(seed.details).sort());
    expect(success.body.details.schemas_available).toContain("seedshapes");
    const failed = await h.request("POST", `/api/v1/connectors/${absent}/test`, { key });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ connector_id: absent, status: "failed", tested_at: expect.any(String), error: { type: "dns_not_found", message: expect.any(String) } });
    for (const id of [live, absent]) {
      const health = await h.request("GET", `/api/v1/connectors/${id}/health`, { key });
      expect(health.status).toBe(200);
      expect(Object.keys(health.body)).toEqual(["connector_id", ...Object.keys(fixture("querri/health-response.json")).slice(1)]);
    }
  });

  it("a 409 on update or delete while a pull runs says which run (details.active_executions); DELETE ?force=true deletes", async () => {
    const key = await keyFor();
    const tenant = tenantOf(key);
    const id = (await h.request("POST", "/api/v1/connectors", { key, body: { ...without(fixture("querri/create-postgresql.json"), "test_connection"), collection: "c", record_type: "r", query: "SELECT 1 AS id" } })).body.id;
    const { leases, connectorRepository } = h.service.services;
    const lease = await leases.acquire(leaseName(tenant, id), "run_01seedshapesheldrun00000");
    await connectorRepository.setState(tenant, id, { status: "running" });
    try {
      for (const [method, body] of [["PATCH", fixture("querri/update.json")], ["PATCH", { display_name: "x" }], ["DELETE", undefined]] as const) {
        const response = await h.request(method, `/api/v1/connectors/${id}`, { key, body });
        expect(response.status, method).toBe(409);
        expect(response.body).toMatchObject({ error: "conflict", details: { active_executions: ["run_01seedshapesheldrun00000"] } });
        expect(response.body.message).toContain("run_01seedshapesheldrun00000");
      }
      expect((await h.request("GET", `/api/v1/connectors/${id}`, { key })).body.name).toBe("Production Database");
      expect((await h.request("DELETE", `/api/v1/connectors/${id}?force=true`, { key })).status).toBe(204);
    } finally {
      await leases.release(lease);
    }
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key })).status).toBe(404);
  });
});

describe("Qarion: the catalog connectors API and the SDK as written", () => {
  it("the Snowflake body verbatim: 400 naming connector_type (no Snowflake source here), nothing stored", async () => {
    const key = await keyFor();
    const response = await h.request("POST", "/api/v1/catalog/spaces/marketing-analytics/connectors", { key, body: fixture("qarion/create-snowflake.json") });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "connector_type" });
    expect(response.body.message).toMatch(/"snowflake" is not supported/);
    expect(await stored(key)).toBe(0);
  });

  it("the same shape on postgres: credentials merged into the encrypted config, redacted like it; sync, catalog, last_sync, product_count", async () => {
    const key = await keyFor();
    const seed = fixture("qarion/create-snowflake.json");
    const body = { ...seed, connector_type: "postgres", config: { host: pg.host, port: pg.port, database: pg.database }, credentials: { username: pg.user, password: pg.password } };
    const created = await h.request("POST", "/api/v1/catalog/spaces/marketing-analytics/connectors", { key, body });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: seed.name, connector_type: "postgresql", space: "marketing-analytics", config: { host: pg.host, username: pg.user, password: REDACTED }, is_active: true, product_count: 0, last_sync: null });
    expect(created.body.connection_config).toBeUndefined();
    expect(created.text).not.toContain(pg.password);
    expect((await h.service.services.connectors.openConfig(tenantOf(key), created.body.id)).config).toMatchObject({ username: pg.user, password: pg.password });

    const sync = await h.request("POST", `/api/v1/catalog/spaces/marketing-analytics/connectors/${created.body.id}/sync`, { key });
    expect(sync.status).toBe(202);
    expect(Object.keys(sync.body)).toEqual(Object.keys(fixture("qarion/sync-response.json")));
    expect(sync.body).toMatchObject({ job_id: expect.stringMatching(/^sync_/), status: "running", started_at: expect.any(String) });
    const done = await settledSync(key, sync.body.job_id);
    expect(done.status).toBe("completed");

    const list = await h.request("GET", "/api/v1/catalog/spaces/marketing-analytics/connectors", { key });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const entry = list.body.find((c: { id: string }) => c.id === created.body.id);
    for (const field of Object.keys(fixture("qarion/list-response.json")[0])) expect(entry, field).toHaveProperty(field);
    expect(entry).toMatchObject({ is_active: true, last_sync: done.completed_at });
    const catalog = await h.request("GET", `/api/v1/catalog?connector_id=${created.body.id}&limit=100`, { key });
    expect(entry.product_count).toBe(catalog.body.items.filter((item: { removed: boolean }) => !item.removed).length);
    expect(entry.product_count).toBeGreaterThanOrEqual(1);

    const history = await h.request("GET", "/api/v1/catalog/spaces/marketing-analytics/sync-history", { key });
    expect(history.status).toBe(200);
    expect(history.body.total).toBe(1);
    for (const field of Object.keys(fixture("qarion/sync-history-response.json").items[0])) expect(history.body.items[0]).toHaveProperty(field);
    expect(history.body.items[0]).toMatchObject({ id: sync.body.job_id, connector_id: created.body.id, connector_name: seed.name, status: "completed" });
  });

  it("the dbt body verbatim: 201 in a space; the manifest upload, list, get, update and delete of the SDK", async () => {
    const key = await keyFor();
    const base = "/api/v1/catalog/spaces/marketing-analytics/connectors";
    const created = await h.request("POST", base, { key, body: fixture("qarion/create-dbt.json") });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: "dbt Cloud", connector_type: "dbt", config: { project_name: "analytics" }, space: "marketing-analytics" });
    const id = created.body.id;

    const form = new FormData();
    form.append("manifest_file", new Blob([readFileSync(path.resolve(import.meta.dirname, "../fixtures/dbt/jaffle_shop.manifest.v12.json"))]), "manifest.json");
    const upload = await fetch(`${h.url}${base}/${id}/dbt-manifest`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    const job: any = await upload.json();
    expect(upload.status).toBe(200);
    expect(job).toMatchObject({ id: expect.stringMatching(/^sync_/), job_id: job.id, status: "completed", products_created: 7 });

    const list = await h.request("GET", base, { key });
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id, is_active: true, product_count: 7, last_sync: job.completed_at, created_at: created.body.created_at });
    const read = await h.request("GET", `${base}/${id}`, { key });
    expect(read.body).toEqual(list.body[0]);
    const updated = await h.request("PATCH", `${base}/${id}`, { key, body: { name: "dbt Cloud (analytics)", source_system_id: "550e8400-e29b-41d4-a716-446655440000" } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: "dbt Cloud (analytics)", source_system_id: "550e8400-e29b-41d4-a716-446655440000", product_count: 7 });
    const history = await h.request("GET", "/api/v1/catalog/spaces/marketing-analytics/sync-history", { key });
    expect(history.body).toMatchObject({ total: 1, items: [{ id: job.id, connector_name: "dbt Cloud", status: "completed", products_created: 7 }] });
    expect((await h.request("DELETE", `${base}/${id}`, { key })).status).toBe(204);
    expect((await h.request("GET", `${base}/${id}`, { key })).status).toBe(404);
  });

  it("the SDK's create verbatim (source_system_id kept): 201 catalog-only; its sync fails on a host that does not exist and says so in the history", async () => {
    const key = await keyFor();
    const base = "/api/v1/catalog/spaces/marketing-analytics/connectors";
    const body = { ...fixture("qarion/sdk-create-postgresql.json"), source_system_id: "550e8400-e29b-41d4-a716-446655440000" };
    const created = await h.request("POST", base, { key, body });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: body.name, connector_type: "postgresql", config: body.config, source_system_id: body.source_system_id, collection: null, record_type: null, query: null });
    const sync = await h.request("POST", `${base}/${created.body.id}/sync`, { key });
    expect(sync.status).toBe(202);
    const done = await settledSync(key, sync.body.job_id);
    expect(done).toMatchObject({ status: "failed", error: { type: "dns_not_found" } });
    expect((await h.request("GET", `${base}/${created.body.id}`, { key })).body).toMatchObject({ last_sync: null, product_count: 0 });
    const history = await h.request("GET", `/api/v1/catalog/spaces/marketing-analytics/sync-history?connector_id=${created.body.id}`, { key });
    expect(history.body).toMatchObject({ total: 1, items: [{ id: sync.body.job_id, status: "failed" }] });
    expect((await h.request("DELETE", `${base}/${created.body.id}`, { key })).status).toBe(204);
  });
});

describe("catalog-only connectors", () => {
  it("a pull says which field is missing; PATCH sets them and the pull runs", async () => {
    const key = await keyFor();
    const body = fixture("querri/create-postgresql.json");
    const id = (await h.request("POST", "/api/v1/connectors", { key, body: { ...body, config: livePostgres(body.config) } })).body.id;
    const steps: [Record<string, unknown>, string][] = [
      [{}, "collection"],
      [{ collection: "querri" }, "record_type"],
      [{ record_type: "product" }, "query"],
    ];
    for (const [patch, field] of steps) {
      if (Object.keys(patch).length) expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: patch })).status).toBe(200);
      const pull = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`, { key });
      expect(pull.status, field).toBe(400);
      expect(pull.body).toMatchObject({ error: "validation_error", field });
      expect((await h.request("GET", `/api/v1/connectors/${id}/runs`, { key })).body.items).toEqual([]);
    }
    expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { query: "SELECT id, name, sku FROM seedshapes.products WHERE updated_at > :last_pull" } })).status).toBe(200);
    const pull = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=20`, { key });
    expect(pull.status, pull.text).toBe(200);
    expect(pull.body).toMatchObject({ status: "completed", records_pulled: 3, records_uploaded: 3 });
    expect((await h.request("GET", `/api/v1/records/querri/product/2`, { key })).body).toMatchObject({ name: "Gadget", vertical_data: { sku: "G-2" } });
  });

  it("a MongoDB connector without connection_config.collection is catalog-only too", async () => {
    const key = await keyFor();
    const created = await h.request("POST", "/api/v1/connectors", { key, body: { ...without(fixture("querri/create-mongodb.json"), "test_connection"), collection: "c", record_type: "r" } });
    const pull = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=0`, { key });
    expect(pull.body).toMatchObject({ error: "validation_error", field: "connection_config.collection" });
  });

  it("a schedule without a pull target is a 400 naming what is missing, on create and on PATCH", async () => {
    const key = await keyFor();
    const querri = without(fixture("querri/create-postgresql.json"), "test_connection");
    for (const [body, field] of [
      [{ ...querri, schedule: "0 2 * * *" }, "collection"],
      [{ ...querri, schedule: "0 2 * * *", collection: "c" }, "record_type"],
      [{ ...fixture("qarion/sdk-create-postgresql.json"), schedule: "*/30 * * * *" }, "collection"],
    ] as const) {
      const response = await h.request("POST", "/api/v1/connectors", { key, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field });
      expect(response.body.message).toMatch(/schedule/);
    }
    expect(await stored(key)).toBe(0);
    const id = (await h.request("POST", "/api/v1/connectors", { key, body: querri })).body.id;
    const before = (await h.request("GET", `/api/v1/connectors/${id}`, { key })).body;
    const response = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { schedule: "0 2 * * *" } });
    expect(response.body).toMatchObject({ error: "validation_error", field: "collection" });
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key })).body).toEqual(before);
    // The target is what a schedule needs; a missing query is what each of its pulls would say.
    const scheduled = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { schedule: "0 2 * * *", collection: "c", record_type: "r" } });
    expect(scheduled.status, scheduled.text).toBe(200);
    const unset = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { collection: null } });
    expect(unset.body).toMatchObject({ error: "validation_error", field: "collection" });
  });
});

describe("the bad cases: 400 naming the field as sent, nothing stored", () => {
  const querri = () => without(fixture("querri/create-postgresql.json"), "test_connection");
  const qarion = () => fixture("qarion/sdk-create-postgresql.json");
  const cases: [string, () => unknown, string, RegExp?][] = [
    ["type with connector_type", () => ({ ...querri(), connector_type: "postgresql" }), "type", /type and connector_type/],
    ["display_name with name", () => ({ ...querri(), name: "x" }), "display_name", /display_name and name/],
    ["config with connection_config", () => ({ ...qarion(), connection_config: { host: "h", database: "d" } }), "config", /config and connection_config/],
    ["a credential also in config", () => ({ ...qarion(), config: { ...qarion().config, password: "a" }, credentials: { password: "b" } }), "credentials.password", /both config and credentials/],
    ["an unknown top-level field", () => ({ ...querri(), owner: "me" }), "owner"],
    ["an unknown config field", () => ({ ...querri(), config: { ...querri().config, sslmode: "x" } }), "config.sslmode"],
    ["an unknown credentials field", () => ({ ...qarion(), credentials: { token: "t" } }), "credentials.token"],
    ["the seed's missing host", () => ({ ...querri(), config: without(querri().config, "host") }), "config.host"],
    ["type a number", () => ({ ...querri(), type: 5 }), "type"],
    ["type unknown", () => ({ ...querri(), type: "oracle" }), "type"],
    ["display_name a number", () => ({ ...querri(), display_name: 5 }), "display_name"],
    ["display_name missing", () => without(querri(), "display_name"), "name", /also accepted as display_name/],
    ["config a string", () => ({ ...querri(), config: "host=db" }), "config"],
    ["credentials a string", () => ({ ...qarion(), credentials: "user:pw" }), "credentials"],
    ["port a string", () => ({ ...querri(), config: { ...querri().config, port: "5432" } }), "config.port"],
    ["ssl_enabled a string", () => ({ ...querri(), config: { ...querri().config, ssl_enabled: "yes" } }), "config.ssl_enabled"],
    ["test_connection a string", () => ({ ...querri(), test_connection: "true" }), "test_connection"],
    ["source_system_id a number", () => ({ ...qarion(), source_system_id: 5 }), "source_system_id"],
    ["space not a slug", () => ({ ...qarion(), space: "Marketing Analytics" }), "space"],
  ];

  it.each(cases)("%s", async (_label, body, field, message) => {
    const key = await keyFor();
    const response = await h.request("POST", "/api/v1/connectors", { key, body: body() });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field, message: expect.any(String) });
    if (message) expect(response.body.message).toMatch(message);
    expect(await stored(key)).toBe(0);
  });

  it("PATCH takes the same names and refuses the same mixtures, changing nothing", async () => {
    const key = await keyFor();
    const id = (await h.request("POST", "/api/v1/connectors", { key, body: querri() })).body.id;
    const before = (await h.request("GET", `/api/v1/connectors/${id}`, { key })).body;
    for (const [body, field] of [
      [{ type: "postgresql", connector_type: "postgresql" }, "type"],
      [{ display_name: "a", name: "b" }, "display_name"],
      [{ config: { host: "h" }, connection_config: { host: "h" } }, "config"],
      [{ config: { password: "a" }, credentials: { password: "b" } }, "credentials.password"],
      [{ type: "mysql" }, "type"],
      [{ config: { port: "1" } }, "config.port"],
      [{ credentials: { token: REDACTED } }, "credentials.token"],
      [{ config: 5 }, "config"],
      [{ space: "other" }, "space"],
      [{ owner: "me" }, "owner"],
    ] as const) {
      const response = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field });
    }
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key })).body).toEqual(before);
    const renamed = await h.request("PATCH", `/api/v1/connectors/${id}`, { key, body: { type: "postgres", display_name: "Renamed", credentials: { password: REDACTED, username: "other_user" } } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Renamed", connection_config: { username: "other_user", password: REDACTED } });
    expect((await h.service.services.connectors.openConfig(tenantOf(key), id)).config.password).toBe("secure_password_123");
  });

  it("GET /connector-types lists the aliases", async () => {
    const response = await h.request("GET", "/api/v1/connector-types");
    expect(response.body.field_aliases.map((a: { alias: string; canonical: string }) => `${a.alias}→${a.canonical}`)).toEqual([
      "type→connector_type", "display_name→name", "config→connection_config", "credentials→connection_config",
    ]);
    expect(response.body.items.find((t: { type: string }) => t.type === "postgresql").aliases).toEqual(["postgres"]);
    const pg = response.body.items.find((t: { type: string }) => t.type === "postgresql").config_schema.properties;
    expect(pg.idle_timeout_seconds).toMatchObject({ type: "integer", minimum: 1, maximum: 3600 });
  });
});

