// dbt connectors and manifest imports over HTTP: the real jaffle_shop v9 manifest and a v12 one
// built from dbt's published schema, links to tables a PostgreSQL sync discovered, removed
// marking, and every way an upload can be wrong (each a 4xx that changes nothing).
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncLeaseName } from "../../../lib/catalog/syncRunner.js";
import { catalogOf, syncAndWait } from "../../support/catalogSuite.js";
import { startHarness, type Harness } from "../../support/harness.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures/dbt");
const v9 = readFileSync(path.join(fixtures, "jaffle_shop.manifest.v9.json"), "utf8");
const v12Text = readFileSync(path.join(fixtures, "jaffle_shop.manifest.v12.json"), "utf8");

let h: Harness;
let server: PostgresServer;
let pgConnector: string;
let v12: string;

async function upload(connectorId: string, body: string | Uint8Array, init: { field?: string; contentType?: string; key?: string } = {}) {
  let payload: RequestInit["body"] = body;
  const headers: Record<string, string> = { authorization: `Bearer ${init.key ?? h.ownerKey}` };
  if (init.contentType) headers["content-type"] = init.contentType;
  else {
    const form = new FormData();
    form.append(init.field ?? "manifest_file", new Blob([body]), "manifest.json");
    payload = form;
  }
  const response = await fetch(`${h.url}/api/v1/connectors/${connectorId}/dbt-manifest`, { method: "POST", headers, body: payload });
  const text = await response.text();
  h.responses.push(text);
  return { status: response.status, body: JSON.parse(text), text };
}

async function dbtConnector(name: string): Promise<string> {
  const created = await h.request("POST", "/api/v1/connectors", { body: { name, connector_type: "dbt", connection_config: { project_name: "analytics" } } });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

beforeAll(async () => {
  server = await postgresWith([
    "DROP SCHEMA IF EXISTS jaffle CASCADE",
    "DROP SCHEMA IF EXISTS raw CASCADE",
    "CREATE SCHEMA jaffle",
    "CREATE SCHEMA raw",
    "CREATE TABLE jaffle.customers (customer_id integer PRIMARY KEY, first_name text, number_of_orders bigint)",
    "CREATE VIEW jaffle.stg_customers AS SELECT customer_id, first_name FROM jaffle.customers",
    "CREATE TABLE jaffle.raw_payments (id integer, amount integer)",
    "CREATE TABLE raw.raw_customers (id integer, first_name text)",
  ]);
  // The hand-built manifest names its warehouse "analytics"; here it is the test server's database.
  v12 = v12Text.replaceAll('"analytics"', JSON.stringify(server.database));
  h = await startHarness();
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "warehouse", connector_type: "postgresql", collection: "w", record_type: "row", connection_config: { dsn: server.url }, query: "SELECT 1" },
  });
  pgConnector = created.body.id;
  expect((await syncAndWait(h, pgConnector)).status).toBe("completed");
}, 180_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

describe("dbt connectors", () => {
  it("take the Qarion body, show no pull settings, and are in the connector-types catalogue", async () => {
    const id = await dbtConnector("dbt Cloud");
    const view = (await h.request("GET", `/api/v1/connectors/${id}`)).body;
    expect(view).toMatchObject({ id, name: "dbt Cloud", connector_type: "dbt", connection_config: { project_name: "analytics" }, status: "active" });
    for (const field of ["collection", "record_type", "query", "schedule", "batch_size"]) expect(view).not.toHaveProperty(field);
    const types = (await h.request("GET", "/api/v1/connector-types")).body.items;
    const dbt = types.find((t: any) => t.type === "dbt");
    expect(dbt).toMatchObject({ category: "transformation", auth_type: "none", features: ["dbt_manifest"] });
    expect(dbt.config_schema.properties.project_name.type).toBe("string");
    expect((await h.request("GET", "/api/v1/connectors?type=dbt&include_available=false")).body.items.map((c: any) => c.id)).toContain(id);
  });

  it("refuse pull, connection test and sync with a clear 400, and pull-only fields on create or update", async () => {
    const id = await dbtConnector("dbt refusals");
    for (const action of ["pull", "test", "sync"]) {
      const response = await h.request("POST", `/api/v1/connectors/${id}/${action}`);
      expect(response.status, `${action}: ${response.text}`).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field: "connector_type" });
      expect(response.body.message).toMatch(/dbt-manifest/);
    }
    const withQuery = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { query: "SELECT 1" } });
    expect(withQuery.status).toBe(400);
    expect(withQuery.body.field).toBe("query");
    expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { name: "renamed" } })).body.name).toBe("renamed");
    const scheduled = await h.request("POST", "/api/v1/connectors", { body: { name: "x", connector_type: "dbt", schedule: "0 2 * * *" } });
    expect(scheduled.status).toBe(400);
    expect(scheduled.body.field).toBe("schedule");
    expect((await h.request("GET", "/api/v1/sync-history?connector_id=" + id)).body.total).toBe(0);
  });
});

describe("dbt manifest imports", () => {
  it("imports the real v9 manifest: models and sources with depends_on; a re-import changes nothing", async () => {
    const id = await dbtConnector("jaffle v9");
    const first = await upload(id, v9);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      job_id: expect.stringMatching(/^sync_/), kind: "dbt_manifest", status: "completed", connector_id: id, connector_name: "jaffle v9",
      products_created: 7, products_updated: 0, products_removed: 0, products_linked: 0,
      manifest: { dbt_schema_version: "https://schemas.getdbt.com/dbt/manifest/v9.json", dbt_version: "1.5.1", adapter_type: "snowflake" },
    });
    const entries = await catalogOf(h, id);
    expect(entries.map((e) => e.kind).sort()).toEqual(["model", "model", "model", "model", "source", "source", "source"]);
    const facts = entries.find((e) => e.name === "fact_orders");
    expect(facts).toMatchObject({
      origin: "dbt", database: "ANALYTICS", schema: "DEV", qualified_name: "ANALYTICS.DEV.fact_orders", removed: false,
      depends_on: { nodes: ["model.jaffle_shop.stg_orders", "model.jaffle_shop.stg_payments", "model.jaffle_shop.stg_customers"], macros: [] },
      dbt: { unique_id: "model.jaffle_shop.fact_orders", package_name: "jaffle_shop", materialized: "view", relation_name: "ANALYTICS.DEV.fact_orders" },
    });
    expect(entries.find((e) => e.kind === "source" && e.name === "payment")).toMatchObject({ schema: "jaffle_shop_raw", dbt: { relation: "payment" } });
    const again = await upload(id, v9);
    expect(again.body).toMatchObject({ products_created: 0, products_updated: 0, products_removed: 0, products_unchanged: 7 });
    const history = await h.request("GET", `/api/v1/sync-history?connector_id=${id}`);
    expect(history.body.total).toBe(2);
    expect(history.body.items[0]).toMatchObject({ id: again.body.job_id, connector_name: "jaffle v9", status: "completed", error: null });
  });

  it("imports a v12 manifest with descriptions, columns and tags, linked to the discovered tables", async () => {
    const id = await dbtConnector("jaffle v12");
    const response = await upload(id, v12);
    expect(response.status, response.text).toBe(200);
    // 3 models, a seed, a snapshot, 2 sources; the test, unit test, semantic model and saved query are not tables.
    expect(response.body).toMatchObject({ products_created: 7, products_linked: 4, manifest: { dbt_version: "1.8.7", project_name: "jaffle_shop" } });
    const entries = await catalogOf(h, id);
    const discovered = await catalogOf(h, pgConnector);
    const table = (schema: string, name: string) => discovered.find((e) => e.schema === schema && e.name === name).entry_id;
    const customers = entries.find((e) => e.kind === "model" && e.name === "customers");
    expect(customers).toMatchObject({
      description: "One row per customer with their order history.",
      tags: ["mart", "finance"],
      depends_on: { nodes: ["model.jaffle_shop.stg_customers", "model.jaffle_shop.customer_orders"], macros: ["macro.jaffle_shop.cents_to_dollars"] },
      dbt: { materialized: "table" },
      linked_entry_id: table("jaffle", "customers"),
    });
    expect(customers.columns).toContainEqual({ name: "first_name", data_type: "text", description: "Given name.", tags: ["pii"] });
    expect(entries.find((e) => e.name === "stg_customers").linked_entry_id).toBe(table("jaffle", "stg_customers"));
    expect(entries.find((e) => e.kind === "seed").linked_entry_id).toBe(table("jaffle", "raw_payments"));
    expect(entries.find((e) => e.kind === "source" && e.name === "customers").linked_entry_id).toBe(table("raw", "raw_customers"));
    expect(entries.find((e) => e.kind === "snapshot")).toMatchObject({ schema: "snapshots", tags: ["history"] });
    expect(entries.find((e) => e.kind === "snapshot").linked_entry_id).toBeUndefined();
    expect(entries.find((e) => e.name === "customer_orders")).toMatchObject({ dbt: { materialized: "ephemeral" } });
    expect(entries.find((e) => e.name === "customer_orders").linked_entry_id).toBeUndefined();
    const one = await h.request("GET", `/api/v1/catalog/${customers.entry_id}`);
    expect(one.body).toEqual(customers);
    const found = await h.request("GET", "/api/v1/catalog?q=CUSTOMER_ORD");
    expect(found.body.items.map((e: any) => e.entry_id)).toEqual([entries.find((e) => e.name === "customer_orders").entry_id]);
  });

  it("marks a model no longer in the manifest removed; a gzip-compressed upload is inflated", async () => {
    const id = await dbtConnector("jaffle removals");
    expect((await upload(id, v12)).body.products_created).toBe(7);
    const manifest = JSON.parse(v12);
    delete manifest.nodes["model.jaffle_shop.customer_orders"];
    manifest.nodes["model.jaffle_shop.customers"].description = "Customers, rewritten.";
    const next = await upload(id, gzipSync(JSON.stringify(manifest)));
    expect(next.status, next.text).toBe(200);
    expect(next.body).toMatchObject({ products_created: 0, products_updated: 1, products_removed: 1, products_unchanged: 5 });
    const entries = await catalogOf(h, id);
    expect(entries.find((e) => e.name === "customer_orders")).toMatchObject({ removed: true, removed_at: expect.any(String) });
    expect(entries.find((e) => e.kind === "model" && e.name === "customers").description).toBe("Customers, rewritten.");
  });

  it("marks a deleted connector's entries removed, so nothing links to them", async () => {
    const id = await dbtConnector("jaffle deleted");
    expect((await upload(id, v12)).body.products_created).toBe(7);
    const entries = await catalogOf(h, id);
    expect(entries).toHaveLength(7);
    expect((await h.request("DELETE", `/api/v1/connectors/${id}`)).status).toBe(204);
    for (const entry of entries) {
      const after = await h.request("GET", `/api/v1/catalog/${entry.entry_id}`);
      expect(after.body).toMatchObject({ entry_id: entry.entry_id, removed: true, removed_at: expect.any(String) });
    }
    // The warehouse's own entries are untouched.
    expect((await catalogOf(h, pgConnector)).filter((e) => e.removed)).toEqual([]);
  });

  it("answers every kind of bad upload with a 4xx saying why, and changes nothing", async () => {
    const id = await dbtConnector("jaffle errors");
    const before = (await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.total;
    const malformed = await upload(id, '{"metadata": {"dbt_schema_version": "x"},\n  "nodes": {,}}');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: "validation_error", field: "manifest_file", details: { line: 2, column: expect.any(Number), position: expect.any(Number) } });
    expect(malformed.body.message).toMatch(/not valid JSON.*position \d+ \(line 2/);
    for (const version of ["v5", "v99"]) {
      const manifest = JSON.parse(v9);
      manifest.metadata.dbt_schema_version = `https://schemas.getdbt.com/dbt/manifest/${version}.json`;
      const unsupported = await upload(id, JSON.stringify(manifest));
      expect(unsupported.status).toBe(400);
      expect(unsupported.body.message).toContain(`unsupported dbt manifest schema version "https://schemas.getdbt.com/dbt/manifest/${version}.json"`);
      expect(unsupported.body.details.supported).toContain("https://schemas.getdbt.com/dbt/manifest/v12.json");
    }
    const notManifest = await upload(id, JSON.stringify({ nodes: {} }));
    expect(notManifest.status).toBe(400);
    expect(notManifest.body.message).toMatch(/metadata/);
    const badNode = JSON.parse(v12);
    delete badNode.nodes["model.jaffle_shop.customers"].schema;
    const shape = await upload(id, JSON.stringify(badNode));
    expect(shape.status).toBe(400);
    expect(shape.body.details.path).toBe("nodes.model.jaffle_shop.customers.schema");
    expect((await upload(id, "")).status).toBe(400);
    const wrongField = await upload(id, v9, { field: "file" });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body).toMatchObject({ field: "manifest_file" });
    const json = await upload(id, v9, { contentType: "application/json" });
    expect(json.status).toBe(415);
    expect(json.body.error).toBe("unsupported_media_type");
    const huge = await upload(id, new Uint8Array(50 * 1024 * 1024 + 1));
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ error: "payload_too_large", details: { limit: "50 MB" } });
    // Streamed without a Content-Length and without end: the answer proves the bound holds while
    // the body is read (a server reading it all first would never answer).
    const chunk = new Uint8Array(1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(chunk) });
    const streamed = await fetch(`${h.url}/api/v1/connectors/${id}/dbt-manifest`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.ownerKey}`, "content-type": "multipart/form-data; boundary=x" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // A gzip bomb: 60 KB that inflates to 60 MB is refused while inflating.
    const bomb = await upload(id, gzipSync(Buffer.alloc(60 * 1024 * 1024, 0x20)));
    expect(bomb.status).toBe(413);
    expect(bomb.body.message).toMatch(/inflates beyond the limit of 50 MB/);
    expect((await upload(id, Buffer.from([0x1f, 0x8b, 1, 2, 3]))).body).toMatchObject({ error: "validation_error", field: "manifest_file" });
    for (const notObject of ["null", "[]", '"manifest"', "42"]) {
      expect((await upload(id, notObject)).body).toMatchObject({ error: "validation_error", message: expect.stringMatching(/JSON object/) });
    }
    const nonString = JSON.parse(v12);
    nonString.nodes["model.jaffle_shop.customers"].description = 5;
    expect((await upload(id, JSON.stringify(nonString))).body).toMatchObject({ error: "validation_error", details: { path: "nodes.model.jaffle_shop.customers.description" } });
    const twice = new FormData();
    twice.append("manifest_file", new Blob([v9]), "a.json");
    twice.append("manifest_file", new Blob([v12]), "b.json");
    const several = await fetch(`${h.url}/api/v1/connectors/${id}/dbt-manifest`, { method: "POST", headers: { authorization: `Bearer ${h.ownerKey}` }, body: twice });
    expect(several.status).toBe(400);
    expect(await several.json()).toMatchObject({ error: "validation_error", field: "manifest_file", message: expect.stringMatching(/one file/) });
    expect((await upload("conn_nosuchconnector", v9)).status).toBe(404);
    const viewer = (await h.service.services.apiKeys.create({ tenant: "default", role: "viewer" })).key;
    expect((await upload(id, v9, { key: viewer })).status).toBe(403);
    const { leases } = h.service.services;
    const lease = await leases.acquire(syncLeaseName("default", id), "sync_elsewhere");
    expect((await upload(id, v9)).status).toBe(409);
    await leases.release(lease);
    expect((await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.total).toBe(before);
    expect(await catalogOf(h, id)).toEqual([]);
  });

  it("cuts a model too large for one catalog item (wide, long descriptions) instead of failing the import", async () => {
    const id = await dbtConnector("jaffle wide");
    const manifest = JSON.parse(v12);
    const columns: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) columns[`column_${i}`] = { name: `column_${i}`, data_type: "text", description: "d".repeat(1000), tags: ["pii"] };
    manifest.nodes["model.jaffle_shop.customers"].columns = columns;
    manifest.nodes["model.jaffle_shop.customers"].depends_on.nodes = Array.from({ length: 3000 }, (_, i) => `model.jaffle_shop.upstream_model_number_${i}`);
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ status: "completed", products_created: 7 });
    const customers = (await catalogOf(h, id)).find((e) => e.kind === "model" && e.name === "customers");
    expect(customers.columns.length).toBeGreaterThan(50);
    expect(customers.columns[0]).toMatchObject({ name: "column_0", data_type: "text" });
    expect(JSON.stringify(customers).length).toBeLessThan(400_000);
  });

  it("keeps the name index's sort key within DynamoDB's 1024 bytes for a very long model name", async () => {
    const id = await dbtConnector("jaffle long name");
    const manifest = JSON.parse(v12);
    const name = "é".repeat(1000);
    manifest.nodes["model.jaffle_shop.customers"].name = name;
    expect((await upload(id, JSON.stringify(manifest))).status).toBe(200);
    const entry = (await catalogOf(h, id)).find((e) => e.kind === "model" && e.name === name);
    expect(entry).toBeDefined();
    const { services } = h.service;
    const stored = await services.db.send(new GetCommand({ TableName: services.config.controlTable, Key: { pk: "TENANT#default", sk: `CATALOG#${entry.entry_id}` } }));
    expect(Buffer.byteLength(stored.Item!.gsi1sk)).toBeLessThanOrEqual(1024);
  });
});

describe("manifests of odd but valid shapes", () => {
  it("import nodes with null columns, without depends_on or config, and a null entry among the nodes", async () => {
    const id = await dbtConnector("jaffle odd shapes");
    const manifest = JSON.parse(v12);
    manifest.nodes["model.jaffle_shop.customers"].columns = null;
    delete manifest.nodes["model.jaffle_shop.stg_customers"].depends_on;
    delete manifest.nodes["model.jaffle_shop.stg_customers"].config;
    manifest.nodes["test.jaffle_shop.odd"] = null;
    manifest.sources = null;
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text).toBe(200);
    expect(response.body.products_created).toBe(5); // the 2 sources are gone with `sources: null`
    const entries = await catalogOf(h, id);
    expect(entries.find((e) => e.kind === "model" && e.name === "customers").columns).toEqual([]);
    expect(entries.find((e) => e.name === "stg_customers").depends_on).toEqual({ nodes: [], macros: [] });
  });
});

describe("manifest metadata", () => {
  it("a very long metadata field is cut, so the import's sync record is stored completed", async () => {
    const id = await dbtConnector("jaffle long metadata");
    const manifest = JSON.parse(v12);
    manifest.metadata.project_name = "p".repeat(500_000);
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text).toBe(200);
    const stored = await h.request("GET", `/api/v1/sync-history/${response.body.job_id}`);
    expect(stored.body).toMatchObject({ status: "completed", products_created: 7 });
    expect(stored.body.manifest.project_name.length).toBeLessThanOrEqual(1000);
  });
});

describe("catalog and sync-history pages", () => {
  it("answer a cursor this API did not hand out with 400, whatever its shape", async () => {
    const id = await dbtConnector("jaffle cursors");
    expect((await upload(id, v12)).status).toBe(200);
    const cursor = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString("base64url");
    const tenant = "TENANT#default";
    const forged = [
      ["/api/v1/catalog", cursor({ pk: tenant })],
      ["/api/v1/catalog", cursor({ pk: tenant, sk: "SYNC#x" })],
      ["/api/v1/catalog", cursor({ pk: tenant, sk: "CATALOG#x", extra: "1" })],
      [`/api/v1/catalog?connector_id=${id}`, cursor({ gsi1pk: `${tenant}#CATALOG#${id}` })],
      [`/api/v1/catalog?connector_id=${id}`, cursor({ gsi1pk: `${tenant}#CATALOG#${id}`, gsi1sk: "a", pk: tenant })],
      ["/api/v1/sync-history", cursor({ pk: tenant })],
      ["/api/v1/sync-history", cursor({ pk: tenant, sk: "CATALOG#x" })],
      [`/api/v1/sync-history?connector_id=${id}`, cursor({ gsi1pk: `${tenant}#SYNCS#${id}` })],
    ] as const;
    for (const [route, forgedCursor] of forged) {
      const response = await h.request("GET", `${route}${route.includes("?") ? "&" : "?"}cursor=${forgedCursor}`);
      expect(response.status, `${route} ${Buffer.from(forgedCursor, "base64url").toString()}: ${response.text}`).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field: "cursor" });
    }
    for (const query of ["limit=0", "limit=abc", "limit=101", `q=${"x".repeat(201)}`]) {
      expect((await h.request("GET", `/api/v1/catalog?${query}`)).status, query).toBe(400);
    }
    // q is a plain substring: regex characters match only themselves.
    const regex = await h.request("GET", `/api/v1/catalog?connector_id=${id}&q=${encodeURIComponent(".*(cust[")}`);
    expect(regex.status).toBe(200);
    expect(regex.body.items).toEqual([]);
    // The cursors the API hands out still page.
    const first = await h.request("GET", `/api/v1/catalog?connector_id=${id}&limit=3`);
    const next = await h.request("GET", `/api/v1/catalog?connector_id=${id}&limit=3&cursor=${first.body.next_cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(3);
    const all = await h.request("GET", "/api/v1/catalog?limit=2");
    expect((await h.request("GET", `/api/v1/catalog?limit=2&cursor=${all.body.next_cursor}`)).status).toBe(200);
  });
});
