// What the adversarial probe of issue 18 broke (items 4–6), each over HTTP against the local
// service: deep bodies, over-long manifest fields, `query: null`, malformed DSNs, manifests sent
// to a database connector, non-UTF-8 charsets, the 409 of a running pull, concurrent PATCHes.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncLeaseName } from "../../lib/catalog/syncRunner.js";
import { leaseName } from "../../lib/pull/runner.js";
import { LeaseHeldError } from "../../lib/store/errors.js";
import { MAX_NESTING } from "../../lib/validation.js";
import { secrets, seeds, startHarness, type Harness } from "../support/harness.js";

const v12 = readFileSync(path.resolve(import.meta.dirname, "../fixtures/dbt/jaffle_shop.manifest.v12.json"), "utf8");

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function create(body: unknown): Promise<string> {
  const created = await h.request("POST", "/api/v1/connectors", { body });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

async function upload(connectorId: string, manifest: string) {
  const form = new FormData();
  form.append("manifest_file", new Blob([manifest]), "manifest.json");
  const response = await fetch(`${h.url}/api/v1/connectors/${connectorId}/dbt-manifest`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.ownerKey}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

const nested = (levels: number, leaf: unknown = "x") => {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
/** The same as JSON text, built without JSON.stringify (which itself overflows on deep values). */
const nestedJson = (levels: number) => '{"a":'.repeat(levels) + '"x"' + "}".repeat(levels);

describe("item 4: bodies nested too deeply are a 400 naming the limit, and change nothing", () => {
  it.each([3_000, 100_000])("PATCH and POST with connection_config %i levels deep", async (levels) => {
    const id = await create(seeds.mysql);
    const before = await h.request("GET", `/api/v1/connectors/${id}`);
    const patched = await h.request("PATCH", `/api/v1/connectors/${id}`, { raw: `{"connection_config":${nestedJson(levels)}}` });
    expect(patched.status, patched.text).toBe(400);
    expect(patched.body).toMatchObject({ error: "validation_error", details: { limit: MAX_NESTING } });
    expect(patched.body.message).toContain(`more than ${MAX_NESTING} levels deep`);
    expect((await h.request("GET", `/api/v1/connectors/${id}`)).body).toEqual(before.body);
    const posted = await h.request("POST", "/api/v1/connectors", { raw: JSON.stringify(seeds.mysql).replace(/"connection_config":\{[^}]*\}/, `"connection_config":${nestedJson(levels)}`) });
    expect(posted.status).toBe(400);
    expect(posted.body.details).toEqual({ limit: MAX_NESTING });
  });

  it("a config nested within the limit is judged by its schema, as before", async () => {
    const id = await create(seeds.mysql);
    const response = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config: { host: nested(10) } } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "connection_config.host" });
  });

  it("the service bounds the walks itself, for callers other than HTTP", async () => {
    const id = await create(seeds.mysql);
    await expect(h.service.services.connectors.update("default", id, { connection_config: nested(50_000) })).rejects.toMatchObject({
      name: "ValidationError",
      details: { limit: MAX_NESTING },
    });
  });

  it("every JSON body path is bounded: schemas, API keys, webhook secret, disable", async () => {
    const deep = nestedJson(5_000);
    for (const [method, route, body] of [
      ["PUT", "/schemas/deep/schema", `{"schema":${deep}}`],
      ["POST", "/api-keys", `{"role":"viewer","name":${deep}}`],
      ["PUT", "/webhooks/secret", `{"secret":${deep}}`],
      ["POST", `/connectors/${await create(seeds.mysql)}/disable`, `{"reason":${deep}}`],
    ] as const) {
      const response = await h.request(method, `/api/v1${route}`, { raw: body });
      expect({ route, status: response.status, error: response.body.error }).toEqual({ route, status: 400, error: "validation_error" });
      expect(response.body.details).toEqual({ limit: MAX_NESTING });
    }
    expect((await h.request("GET", "/api/v1/schemas/deep/schema")).status).toBe(404);
  });

  it("record reads check the scope as pushes do: a name no push can write is a 400, not a store error", async () => {
    for (const scope of [`${"c".repeat(129)}/r`, "c/%ED%A0%80", ".hidden/r"]) {
      const response = await h.request("GET", `/api/v1/records/${scope}`);
      expect(response.status, scope).toBe(400);
      expect(response.body.error).toBe("validation_error");
    }
  });

  it("a lone surrogate in a control-plane body is a 400, never stored as U+FFFD", async () => {
    const response = await h.request("POST", "/api/v1/connectors", { raw: JSON.stringify(seeds.mysql).replace('"Catalog MySQL"', '"Catalog \\ud800"') });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "name" });
    expect(response.body.message).toMatch(/lone surrogate/);
  });
});

describe("item 5: over-long manifest fields are refused before any write, or cut", () => {
  async function dbt(name: string): Promise<string> {
    return create({ name, connector_type: "dbt", connection_config: { project_name: "analytics" } });
  }
  const history = async (id: string) => (await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.total;

  it("a 300,000-character node name answers 400 naming the field, and leaves no sync-history entry", async () => {
    const id = await dbt("long name");
    const manifest = JSON.parse(v12);
    manifest.nodes["model.jaffle_shop.customers"].name = "n".repeat(300_000);
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text.slice(0, 300)).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "manifest_file", details: { path: "nodes.model.jaffle_shop.customers.name" } });
    expect(response.body.message).toMatch(/1024/);
    expect(response.text.length).toBeLessThan(10_000);
    expect(await history(id)).toBe(0);
    expect((await h.request("GET", `/api/v1/catalog?connector_id=${id}`)).body.items).toEqual([]);
  });

  it.each([
    ["a column name", (m: any) => (m.nodes["model.jaffle_shop.customers"].columns.customer_id.name = "c".repeat(2_000)), "nodes.model.jaffle_shop.customers.columns.customer_id.name"],
    ["a tag", (m: any) => (m.nodes["model.jaffle_shop.customers"].tags = ["t".repeat(2_000)]), "nodes.model.jaffle_shop.customers.tags.0"],
    ["a depends_on entry", (m: any) => (m.nodes["model.jaffle_shop.customers"].depends_on.nodes = ["d".repeat(2_000)]), "nodes.model.jaffle_shop.customers.depends_on.nodes.0"],
    ["a unique_id", (m: any) => (m.nodes["model.jaffle_shop.customers"].unique_id = "u".repeat(2_000)), "nodes.model.jaffle_shop.customers.unique_id"],
    ["a lone surrogate in a name", (m: any) => (m.nodes["model.jaffle_shop.customers"].name = "customers\ud800"), "nodes.model.jaffle_shop.customers.name"],
  ])("%s too long or not Unicode: 400, nothing written", async (_label, mutate, field) => {
    const id = await dbt(`bad ${field}`);
    const manifest = JSON.parse(v12);
    mutate(manifest);
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text.slice(0, 300)).toBe(400);
    expect(response.body.details).toEqual({ path: field });
    expect(await history(id)).toBe(0);
  });

  it("over-long free text is cut to its documented limit and the import completes", async () => {
    const id = await dbt("long text");
    const manifest = JSON.parse(v12);
    const customers = manifest.nodes["model.jaffle_shop.customers"];
    customers.relation_name = "r".repeat(300_000);
    customers.original_file_path = "p".repeat(300_000);
    customers.description = "d".repeat(300_000);
    customers.columns.customer_id.data_type = "struct<" + "x".repeat(300_000) + ">";
    const response = await upload(id, JSON.stringify(manifest));
    expect(response.status, response.text.slice(0, 300)).toBe(200);
    expect(response.body).toMatchObject({ status: "completed", products_created: 7 });
    const entry = (await h.request("GET", `/api/v1/catalog?connector_id=${id}&q=customers`)).body.items.find((e: any) => e.kind === "model" && e.name === "customers");
    expect(entry.dbt.relation_name).toHaveLength(1_000);
    expect(entry.dbt.original_file_path).toHaveLength(1_000);
    expect(entry.description).toHaveLength(8_000);
    expect(entry.columns.find((c: any) => c.name === "customer_id").data_type).toHaveLength(1_000);
  });

  it("a manifest nested 100,000 levels deep in a field Sluice does not read imports", async () => {
    const id = await dbt("deep meta");
    const text = v12.replace('"resource_type": "model"', `"meta_deep": ${"[".repeat(100_000)}${"]".repeat(100_000)}, "resource_type": "model"`);
    expect(text).not.toBe(v12);
    const response = await upload(id, text);
    expect(response.status, response.text.slice(0, 300)).toBe(200);
  });

  it("bytes that are not UTF-8 are a 400, not replaced", async () => {
    const id = await dbt("latin1");
    const bytes = Buffer.concat([Buffer.from(v12.slice(0, 50)), Buffer.from([0xff, 0xfe]), Buffer.from(v12.slice(50))]);
    const form = new FormData();
    form.append("manifest_file", new Blob([bytes]), "manifest.json");
    const response = await fetch(`${h.url}/api/v1/connectors/${id}/dbt-manifest`, { method: "POST", headers: { authorization: `Bearer ${h.ownerKey}` }, body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: "manifest_file", message: expect.stringMatching(/UTF-8/) });
  });
});

describe("item 6", () => {
  it('"query": null on create is the same as leaving query out; a pull then answers 400 naming query', async () => {
    const { query: _query, ...withoutQuery } = seeds.postgres;
    const withNull = (await h.request("GET", `/api/v1/connectors/${await create({ ...seeds.postgres, query: null })}`)).body;
    const omitted = (await h.request("GET", `/api/v1/connectors/${await create(withoutQuery)}`)).body;
    const strip = ({ id: _i, created_at: _c, updated_at: _u, ...rest }: Record<string, unknown>) => rest;
    expect(strip(withNull)).toEqual(strip(omitted));
    expect(withNull.query).toBeNull();
    for (const id of [withNull.id, omitted.id]) {
      const pull = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`);
      expect(pull.status).toBe(400);
      expect(pull.body).toMatchObject({ error: "validation_error", field: "query" });
    }
    const patched = await h.request("PATCH", `/api/v1/connectors/${withNull.id}`, { body: { query: "SELECT 1" } });
    expect(patched.body.query).toBe("SELECT 1");
    expect((await h.request("PATCH", `/api/v1/connectors/${withNull.id}`, { body: { query: null } })).body.query).toBeNull();
  });

  it.each([
    ["postgresql", "postgresql://u:p@db.internal:notaport/shop"],
    ["postgresql", "postgresql://u:p@[::1/shop"],
    ["postgresql", "postgresql://u:p@[::1]x/shop"],
    ["postgresql", "postgresql://u:p@[not-v6]:5432/shop"],
    ["postgresql", "postgresql://u:p@db.internal:70000/shop"],
    ["postgresql", "postgresql://u:p@db.internal:/shop"],
    ["mysql", "mysql://u:p@[::1/shop"],
    ["mysql", "mysql://u:p@db.internal:33o6/shop"],
  ])("%s DSN %s: 400 on connection_config.dsn", async (type, dsn) => {
    const seed = type === "mysql" ? seeds.mysql : seeds.postgres;
    const response = await h.request("POST", "/api/v1/connectors", { body: { ...seed, connection_config: { dsn } } });
    expect(response.status, response.text).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "connection_config.dsn" });
  });

  it("URIs with a bad port or host: 400 on their field, good ones still accepted", async () => {
    for (const [seed, field, uri] of [
      [seeds.mongodb, "uri", "mongodb://u:p@a.internal:27017,b.internal:nope/db"],
      [seeds.mongodb, "uri", "mongodb+srv://u:p@cluster.internal:27017/db"],
      [seeds.neo4j, "uri", "bolt://neo4j.internal:x"],
    ] as const) {
      const response = await h.request("POST", "/api/v1/connectors", { body: { ...seed, connection_config: { ...seed.connection_config, [field]: uri } } });
      expect(response.status, uri).toBe(400);
      expect(response.body.field).toBe(`connection_config.${field}`);
    }
    for (const [seed, patch] of [
      [seeds.postgres, { dsn: "postgresql://u:p@[::1]:5432/shop" }],
      [seeds.postgres, { dsn: "postgresql://u:p@%2Fvar%2Frun%2Fpostgresql/shop" }],
      [seeds.mysql, { dsn: "mysql://u:p@[fe80::1%25eth0]:3306/shop" }],
      [seeds.mongodb, { uri: "mongodb://u:p@a.internal:27017,b.internal:27018,[::1]:27019/db?replicaSet=rs0", database: "d" }],
      [seeds.mongodb, { uri: "mongodb+srv://u:p@cluster.internal/db", database: "d" }],
      [seeds.neo4j, { uri: "neo4j+s://neo4j.internal" }],
    ] as const) {
      const body = { ...seed, connection_config: "dsn" in patch ? patch : { ...seed.connection_config, ...patch } };
      const response = await h.request("POST", "/api/v1/connectors", { body });
      expect(response.status, `${JSON.stringify(patch)}: ${response.text}`).toBe(201);
    }
  });

  it("a dbt manifest sent to a PostgreSQL connector is a 400 on connector_type, and changes nothing", async () => {
    const id = await create(seeds.postgres);
    const response = await upload(id, v12);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "connector_type" });
    expect(response.body.message).toMatch(/only a dbt connector takes manifests/);
    expect((await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.total).toBe(0);
    expect((await h.request("GET", `/api/v1/catalog?connector_id=${id}`)).body.items).toEqual([]);
    await expect(h.service.services.catalog.sync.importManifest("default", id, JSON.parse(v12))).rejects.toMatchObject({ field: "connector_type" });
  });

  it.each(["utf-16", "UTF-16LE", "iso-8859-1", '"latin1"', "utf8", ""])("Content-Type application/json; charset=%s: 415", async (charset) => {
    const response = await h.request("POST", "/api/v1/connectors", { raw: JSON.stringify(seeds.mysql), contentType: `application/json; charset=${charset}` });
    expect(response.status).toBe(415);
    expect(response.body.error).toBe("unsupported_media_type");
    expect((await h.request("POST", "/api/v1/ingest/cs/test/batch", { raw: '{"records":[{"name":"a"}]}', contentType: `application/json;charset=${charset}` })).status).toBe(415);
  });

  it.each(["utf-8", "UTF-8", '"utf-8"', "Utf-8 "])("Content-Type application/json; charset=%s is accepted", async (charset) => {
    const response = await h.request("POST", "/api/v1/connectors", { raw: JSON.stringify(seeds.mysql), contentType: `application/json; charset=${charset}` });
    expect(response.status, response.text).toBe(201);
  });

  it("a pull while one runs answers 409 naming the run, never the lease key or the tenant", async () => {
    const id = await create({ ...seeds.postgres, connection_config: { dsn: "postgresql://u:p@127.0.0.1:1/x" } });
    const { leases } = h.service.services;
    const lease = await leases.acquire(leaseName("default", id), "run_01heldbyanotherpull0000");
    try {
      const response = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=0`);
      expect(response.status).toBe(409);
      expect(response.body.error).toBe("conflict");
      expect(response.body.message).toBe("a pull of this connector is running (run run_01heldbyanotherpull0000); retry when it has finished");
      expect(response.text).not.toContain("pull#");
      expect(response.text).not.toContain("default");
    } finally {
      await leases.release(lease);
    }
    const sync = await leases.acquire(syncLeaseName("default", id), "sync_01held");
    const error = await leases.acquire(syncLeaseName("default", id), "sync_02other").catch((e: unknown) => e);
    await leases.release(sync);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as Error).message).toBe("a sync of this connector is running (sync sync_01held); retry when it has finished");
  });

  it("20 concurrent PATCHes of one connector all succeed, each applied to the item as it then was", async () => {
    const id = await create({ ...seeds.mysql, connection_config: { ...seeds.mysql.connection_config, charset: "utf8mb4" } });
    const { connectorRepository, connectors } = h.service.services;
    const version = (await connectorRepository.get("default", id)).version;
    const patches = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0 ? { name: `name ${i}` }
      : i % 4 === 1 ? { batch_size: 100 + i }
      : i % 4 === 2 ? { connection_config: { host: `host${i}.internal`, password: `pw-${i}-${secrets.replacedPassword}` } } // a new host needs its password again
      : { connection_config: { password: `pw-${i}-${secrets.replacedPassword}` } },
    );
    const responses = await Promise.all(patches.map((body) => h.request("PATCH", `/api/v1/connectors/${id}`, { body })));
    expect(responses.map((r) => r.status)).toEqual(patches.map(() => 200));
    // Each answer shows its own write, made on the item as it was when that write landed.
    patches.forEach((patch: Record<string, any>, i) => {
      if (patch.name) expect(responses[i]!.body.name).toBe(patch.name);
      if (patch.batch_size) expect(responses[i]!.body.batch_size).toBe(patch.batch_size);
      if (patch.connection_config?.host) expect(responses[i]!.body.connection_config.host).toBe(patch.connection_config.host);
    });
    const stored = await connectorRepository.get("default", id);
    expect(stored.version).toBe(version + 20);
    // Every field holds a value one of the writes set (the last to land), none is lost or mixed.
    expect(patches.map((p: any) => p.name).filter(Boolean)).toContain(stored.name);
    expect(patches.map((p: any) => p.batch_size).filter(Boolean)).toContain(stored.batch_size);
    const { config } = await connectors.openConfig("default", id);
    // Merged onto the fresh item: no patch lost another's field, and the untouched ones stayed.
    expect(patches.map((p: any) => p.connection_config?.host).filter(Boolean)).toContain(config.host);
    expect(patches.map((p: any) => p.connection_config?.password).filter(Boolean)).toContain(config.password);
    expect(config).toMatchObject({ user: "qanatix", database: "catalog", charset: "utf8mb4" });
  });
});
