// Spaces over HTTP against the local service: Qarion's /catalog/spaces/{slug}/… routes served by
// the connector and catalog handlers, scoped to the space (another space's connector is a 404,
// an invalid slug a 400), GET /connectors?space=, the space fixed at creation, connectors made
// before spaces in the default one, and roles and tenant isolation as on every route.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const manifest = readFileSync(path.resolve(import.meta.dirname, "../fixtures/dbt/jaffle_shop.manifest.v12.json"));
const dbt = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/seeds/qarion/create-dbt.json"), "utf8"));
// A port nothing listens on: a sync fails at once.
const postgres = { name: "Warehouse", connector_type: "postgres", config: { host: "127.0.0.1", port: 9, database: "analytics", connection_timeout_seconds: 1 } };

let tenants = 0;
async function tenantKeys(): Promise<{ tenant: string; owner: string; editor: string; viewer: string }> {
  const tenant = `spaces${++tenants}`;
  const make = async (role: "owner" | "editor" | "viewer") => (await h.service.services.apiKeys.create({ tenant, role, name: role })).key;
  return { tenant, owner: await make("owner"), editor: await make("editor"), viewer: await make("viewer") };
}

const spaceBase = (slug: string) => `/api/v1/catalog/spaces/${slug}`;

async function createIn(key: string, slug: string, body: unknown = dbt): Promise<any> {
  const response = await h.request("POST", `${spaceBase(slug)}/connectors`, { key, body });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function upload(key: string, url: string): Promise<Response> {
  const form = new FormData();
  form.append("manifest_file", new Blob([manifest]), "manifest.json");
  return fetch(`${h.url}${url}`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
}

async function settled(key: string, jobId: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const record = (await h.request("GET", `/api/v1/sync-history/${jobId}`, { key })).body;
    if (record.status !== "running") return record;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the sync did not finish");
}

describe("space routes", () => {
  it("each space lists, reads, updates, syncs and deletes only its own connectors", async () => {
    const { owner } = await tenantKeys();
    const marketing = await createIn(owner, "marketing-analytics");
    const finance = await createIn(owner, "finance", postgres);
    const plain = (await h.request("POST", "/api/v1/connectors", { key: owner, body: { ...dbt, name: "in default" } })).body;
    expect([marketing.space, finance.space, plain.space]).toEqual(["marketing-analytics", "finance", "default"]);

    expect((await h.request("GET", `${spaceBase("marketing-analytics")}/connectors`, { key: owner })).body.map((c: { id: string }) => c.id)).toEqual([marketing.id]);
    expect((await h.request("GET", `${spaceBase("finance")}/connectors`, { key: owner })).body.map((c: { id: string }) => c.id)).toEqual([finance.id]);
    expect((await h.request("GET", `${spaceBase("default")}/connectors`, { key: owner })).body.map((c: { id: string }) => c.id)).toEqual([plain.id]);
    expect((await h.request("GET", `${spaceBase("empty")}/connectors`, { key: owner })).body).toEqual([]);
    for (const [space, id] of [["marketing-analytics", marketing.id], ["finance", finance.id], ["default", plain.id]]) {
      const listed = await h.request("GET", `/api/v1/connectors?space=${space}&include_available=false`, { key: owner });
      expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    }
    expect((await h.request("GET", "/api/v1/connectors?include_available=false", { key: owner })).body.items).toHaveLength(3);

    // Another space's connector is not found through this space's routes, and nothing changes.
    const foreign = `${spaceBase("finance")}/connectors/${marketing.id}`;
    for (const [method, route, body] of [
      ["GET", foreign, undefined],
      ["PATCH", foreign, { name: "taken" }],
      ["DELETE", foreign, undefined],
      ["POST", `${foreign}/sync`, undefined],
      ["GET", `${spaceBase("finance")}/sync-history?connector_id=${marketing.id}`, undefined],
    ] as const) {
      const response = await h.request(method, route, { key: owner, body });
      expect(response.status, `${method} ${route}`).toBe(404);
      expect(response.body.error).toBe("not_found");
    }
    expect((await upload(owner, `${foreign}/dbt-manifest`)).status).toBe(404);
    expect((await h.request("GET", `/api/v1/connectors/${marketing.id}`, { key: owner })).body).toMatchObject({ name: "dbt Cloud", product_count: 0 });
    expect((await h.request("GET", "/api/v1/sync-history", { key: owner })).body.total).toBe(0);

    // In its own space, every route works.
    const own = `${spaceBase("marketing-analytics")}/connectors/${marketing.id}`;
    expect((await upload(owner, `${own}/dbt-manifest`)).status).toBe(200);
    const sync = await h.request("POST", `${spaceBase("finance")}/connectors/${finance.id}/sync`, { key: owner });
    expect(sync.status).toBe(202);
    expect((await settled(owner, sync.body.job_id)).status).toBe("failed");
    const marketingHistory = await h.request("GET", `${spaceBase("marketing-analytics")}/sync-history`, { key: owner });
    expect(marketingHistory.body).toMatchObject({ total: 1, items: [{ connector_id: marketing.id, kind: "dbt_manifest", space: "marketing-analytics" }] });
    const financeHistory = await h.request("GET", `${spaceBase("finance")}/sync-history`, { key: owner });
    expect(financeHistory.body).toMatchObject({ total: 1, items: [{ connector_id: finance.id, status: "failed" }] });
    expect((await h.request("GET", `${spaceBase("default")}/sync-history`, { key: owner })).body).toMatchObject({ total: 0, items: [] });
    expect((await h.request("GET", "/api/v1/sync-history", { key: owner })).body.total).toBe(2);
    expect((await h.request("GET", own, { key: owner })).body).toMatchObject({ product_count: 7, last_sync: expect.any(String) });
    expect((await h.request("PATCH", own, { key: owner, body: { name: "dbt (renamed)" } })).body.name).toBe("dbt (renamed)");
    expect((await h.request("DELETE", own, { key: owner })).status).toBe(204);
    expect((await h.request("GET", own, { key: owner })).status).toBe(404);
  });

  it("sync history pages through a space with limit and cursor, total counting the whole space", async () => {
    const { owner } = await tenantKeys();
    const a = await createIn(owner, "paged");
    const other = await createIn(owner, "elsewhere");
    for (let i = 0; i < 3; i++) {
      expect((await upload(owner, `${spaceBase("paged")}/connectors/${a.id}/dbt-manifest`)).status).toBe(200);
      expect((await upload(owner, `${spaceBase("elsewhere")}/connectors/${other.id}/dbt-manifest`)).status).toBe(200);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await h.request("GET", `${spaceBase("paged")}/sync-history?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: owner });
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(3);
      seen.push(...page.body.items.map((item: { connector_id: string }) => item.connector_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([a.id, a.id, a.id]);
  });

  it("an invalid slug is a 400 naming it on every space route", async () => {
    const { owner } = await tenantKeys();
    const id = (await createIn(owner, "valid")).id;
    for (const slug of ["Marketing", "has_underscore", "-leading", "trailing-", "a".repeat(65), "sp%20ace", "%C3%A9t%C3%A9"]) {
      for (const [method, route, body] of [
        ["GET", "/connectors", undefined],
        ["POST", "/connectors", dbt],
        ["GET", `/connectors/${id}`, undefined],
        ["PATCH", `/connectors/${id}`, { name: "x" }],
        ["DELETE", `/connectors/${id}`, undefined],
        ["POST", `/connectors/${id}/sync`, undefined],
        ["GET", "/sync-history", undefined],
      ] as const) {
        const response = await h.request(method, `${spaceBase(slug)}${route}`, { key: owner, body });
        expect(response.status, `${method} ${slug} ${route}`).toBe(400);
        expect(response.body).toMatchObject({ error: "validation_error", field: "slug" });
      }
      expect((await upload(owner, `${spaceBase(slug)}/connectors/${id}/dbt-manifest`)).status).toBe(400);
    }
    for (const space of ["Marketing", "a b", "x".repeat(65)]) {
      const response = await h.request("GET", `/api/v1/connectors?space=${encodeURIComponent(space)}`, { key: owner });
      expect(response.body).toMatchObject({ error: "validation_error", field: "space" });
    }
    expect((await h.request("GET", "/api/v1/connectors?include_available=false", { key: owner })).body.items).toHaveLength(1);
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key: owner })).body.name).toBe("dbt Cloud");
  });

  it("the space is set at creation: a body naming another space than the path, or a PATCH moving it, is a 400", async () => {
    const { owner } = await tenantKeys();
    const mismatch = await h.request("POST", `${spaceBase("finance")}/connectors`, { key: owner, body: { ...dbt, space: "marketing" } });
    expect(mismatch.body).toMatchObject({ error: "validation_error", field: "space" });
    const same = await createIn(owner, "finance", { ...dbt, space: "finance" });
    const viaBody = (await h.request("POST", "/api/v1/connectors", { key: owner, body: { ...dbt, space: "marketing" } })).body;
    expect(viaBody.space).toBe("marketing");
    for (const route of [`/api/v1/connectors/${same.id}`, `${spaceBase("finance")}/connectors/${same.id}`]) {
      const moved = await h.request("PATCH", route, { key: owner, body: { space: "marketing" } });
      expect(moved.body).toMatchObject({ error: "validation_error", field: "space" });
    }
    expect((await h.request("PATCH", `/api/v1/connectors/${same.id}`, { key: owner, body: { space: "finance", name: "kept" } })).body).toMatchObject({ space: "finance", name: "kept" });
    expect((await h.request("GET", "/api/v1/connectors?include_available=false", { key: owner })).body.items).toHaveLength(2);
  });

  it("a connector stored before spaces is in the default space", async () => {
    const { owner, tenant } = await tenantKeys();
    const created = (await h.request("POST", "/api/v1/connectors", { key: owner, body: dbt })).body;
    const { connectorRepository } = h.service.services;
    const { space: _space, ...older } = await connectorRepository.get(tenant, created.id);
    await connectorRepository.remove(tenant, created.id);
    await connectorRepository.insert(older);
    expect((await h.request("GET", `${spaceBase("default")}/connectors`, { key: owner })).body.map((c: { id: string }) => c.id)).toEqual([created.id]);
    expect((await h.request("GET", `/api/v1/connectors?space=default`, { key: owner })).body.items).toHaveLength(1);
    const patched = await h.request("PATCH", `${spaceBase("default")}/connectors/${created.id}`, { key: owner, body: { name: "still default" } });
    expect(patched.body).toMatchObject({ space: "default", name: "still default" });
    expect((await h.request("GET", `${spaceBase("other")}/connectors/${created.id}`, { key: owner })).status).toBe(404);
  });

  it("roles as on every route: viewers read, editors write; permissions follow the key", async () => {
    const { owner, editor, viewer } = await tenantKeys();
    const id = (await createIn(editor, "roles")).id;
    const base = `${spaceBase("roles")}/connectors`;
    expect((await h.request("GET", base, { key: viewer })).body[0].permissions).toEqual({ can_edit: false, can_delete: false, can_share: false });
    expect((await h.request("GET", `${base}/${id}`, { key: editor })).body.permissions).toEqual({ can_edit: true, can_delete: true, can_share: false });
    expect((await h.request("GET", `${base}/${id}`, { key: owner })).body.permissions).toEqual({ can_edit: true, can_delete: true, can_share: true });
    expect((await h.request("GET", `${base}/${id}`, { key: owner })).body.created_by).toMatchObject({ name: "editor" });
    for (const [method, route, body] of [
      ["POST", base, dbt],
      ["PATCH", `${base}/${id}`, { name: "x" }],
      ["DELETE", `${base}/${id}`, undefined],
      ["POST", `${base}/${id}/sync`, undefined],
    ] as const) {
      const response = await h.request(method, route, { key: viewer, body });
      expect(response.status, `${method} ${route}`).toBe(403);
    }
    expect((await upload(viewer, `${base}/${id}/dbt-manifest`)).status).toBe(403);
    expect((await h.request("GET", `${spaceBase("roles")}/sync-history`, { key: viewer })).status).toBe(200);
    expect((await h.request("GET", base, { key: null })).status).toBe(401);
  });

  it("another tenant's connector is a 404 in a space of the same name, and its list is its own", async () => {
    const mine = await tenantKeys();
    const theirs = await tenantKeys();
    const id = (await createIn(mine.owner, "shared-name")).id;
    const base = `${spaceBase("shared-name")}/connectors`;
    expect((await h.request("GET", base, { key: theirs.owner })).body).toEqual([]);
    for (const [method, body] of [["GET", undefined], ["PATCH", { name: "taken" }], ["DELETE", undefined]] as const) {
      expect((await h.request(method, `${base}/${id}`, { key: theirs.owner, body })).status, method).toBe(404);
    }
    expect((await h.request("POST", `${base}/${id}/sync`, { key: theirs.owner })).status).toBe(404);
    expect((await upload(theirs.owner, `${base}/${id}/dbt-manifest`)).status).toBe(404);
    expect((await h.request("GET", `${spaceBase("shared-name")}/sync-history`, { key: theirs.owner })).body).toMatchObject({ total: 0 });
    expect((await h.request("GET", `${base}/${id}`, { key: mine.owner })).body.name).toBe("dbt Cloud");
  });
});
