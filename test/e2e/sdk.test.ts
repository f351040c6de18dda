// The TypeScript SDK (`sluice/client`) against the real local service, connectors: every method,
// typed errors, waited pulls with their progress, syncs, catalog, dbt manifests and spaces
// (sdkData.test.ts covers records, ingestion, webhooks, keys and retries).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sluice, SluiceError, SluiceFileNotFoundError, type Run } from "sluice/client";
import { Sluice as SluiceFromSource } from "../../lib/client/index.js";
import { PRODUCTS, restConnector, restCreds, slowPages, startClientFixture, failure, type ClientFixture } from "./clientFixtures.js";

let f: ClientFixture;
let sluice: Sluice;
beforeAll(async () => {
  f = await startClientFixture();
  sluice = new Sluice({ baseUrl: f.h.url, apiKey: f.h.ownerKey });
}, 120_000);
afterAll(async () => {
  await f?.close();
});

it("resolves sluice/client by the package's name (exports) to the SDK's source", () => {
  expect(Sluice).toBe(SluiceFromSource);
});

describe("connectors", () => {
  it("create, get, list, iterate, update, types and delete", async () => {
    const created = await sluice.connectors.create(restConnector(f.api) as never);
    expect(created).toMatchObject({ id: expect.stringMatching(/^conn_/), connector_type: "rest_api", status: "active" });
    expect(JSON.stringify(created)).not.toContain(restCreds.bearer);
    expect((created.connection_config as Record<string, unknown>).auth_token).toBe("***REDACTED***");
    expect(await sluice.connectors.get(created.id)).toMatchObject({ id: created.id, name: created.name });

    const more = [await sluice.connectors.create(restConnector(f.api) as never), await sluice.connectors.create(restConnector(f.api) as never)];
    const page = await sluice.connectors.list({ type: "rest_api", limit: 1, include_available: false });
    expect(page.items).toHaveLength(1);
    expect(page.next_cursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const connector of sluice.connectors.iterate({ type: "rest_api", limit: 1 })) all.push(connector.id);
    expect(all).toEqual(expect.arrayContaining([created.id, ...more.map((c) => c.id)]));
    expect(new Set(all).size).toBe(all.length);

    const updated = await sluice.connectors.update(created.id, { name: "renamed by the SDK", connection_config: { auth_token: "***REDACTED***" } } as never);
    expect(updated).toMatchObject({ id: created.id, name: "renamed by the SDK" });
    const types = await sluice.connectors.types();
    expect(types.items.map((t) => t.type)).toEqual(expect.arrayContaining(["postgresql", "rest_api", "dbt"]));

    await sluice.connectors.delete(created.id);
    const gone = await failure(sluice.connectors.get(created.id));
    expect(gone).toBeInstanceOf(SluiceError);
    expect(gone).toMatchObject({ status: 404, error: "not_found", request_id: expect.any(String) });
    expect(gone.message).toContain(created.id);
  });

  it("raises SluiceError with the service's status, error, message, field and request_id", async () => {
    const error = await failure(sluice.connectors.create({ ...restConnector(f.api), batch_size: 0 } as never));
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ name: "SluiceError", status: 400, error: "validation_error", field: "batch_size", request_id: expect.any(String) });
    expect(error.message).toMatch(/batch_size/);
  });

  it("tests, pulls (with and without wait), lists runs, disables, enables and reports health", async () => {
    const { id } = await sluice.connectors.create(restConnector(f.api) as never);
    expect(await sluice.connectors.test(id)).toMatchObject({ connector_id: id, status: "success" });

    const summary = await sluice.connectors.pull(id, { waitSeconds: 60 });
    expect(summary).toMatchObject({ status: "completed", records_pulled: PRODUCTS, records_uploaded: PRODUCTS });

    // A slow source: five pages of 400 ms, so the waited pull is polled while its checkpoints land.
    slowPages(f.api, 6, 400);
    const seen: Run[] = [];
    const run = await sluice.connectors.pull(id, { wait: true, pollIntervalMs: 100, onProgress: (current) => seen.push(current) });
    expect(run).toMatchObject({ run_id: expect.stringMatching(/^run_/), status: "completed", records_pulled: PRODUCTS, duplicates_skipped: PRODUCTS, chunks_done: 5 });
    const running = seen.filter((r) => r.status === "running");
    expect(running.length).toBeGreaterThan(2);
    const pulled = running.map((r) => r.records_pulled);
    expect(pulled).toEqual([...pulled].sort((a, b) => a - b)); // progress only rises
    expect(pulled.some((count) => count > 0 && count < PRODUCTS)).toBe(true);
    expect(running.some((r) => (r.chunks_done ?? 0) > 0 && r.partitions?.["0"]?.records_pulled)).toBe(true);
    expect(seen.at(-1)).toEqual(run);

    expect(await sluice.runs.get(run.run_id)).toEqual(run);
    const runs = await sluice.runs.list(id, { limit: 1 });
    expect(runs.items[0]?.run_id).toBe(run.run_id);
    const every: string[] = [];
    for await (const r of sluice.runs.iterate(id, { limit: 1 })) every.push(r.run_id);
    expect(every).toHaveLength(2);

    expect(await sluice.connectors.disable(id, "maintenance")).toMatchObject({ status: "disabled", disabled_reason: "maintenance" });
    expect(await failure(sluice.connectors.pull(id))).toMatchObject({ status: 409, error: "conflict" });
    expect(await sluice.connectors.enable(id)).toMatchObject({ status: "active", is_active: true });

    const health = await sluice.connectors.health(id);
    expect(health).toMatchObject({ connector_id: id, status: "healthy", metrics: { total_pulls_24h: 2, total_tests_24h: 1 } });
  });

  it("a waited pull of a failing source answers the failed run", async () => {
    const { id } = await sluice.connectors.create(restConnector(f.api, { bearer: "wrong-sdk-S3cret" }) as never);
    const run = await sluice.connectors.pull(id, { wait: true, pollIntervalMs: 100 });
    expect(run).toMatchObject({ status: "failed", error: { type: "authentication_failed" } });
    expect(f.h.logs.join("\n")).not.toContain("wrong-sdk-S3cret");
    expect(f.h.logs.join("\n")).not.toContain(restCreds.bearer);
  });

  it("syncs metadata into the catalog and the sync history", async () => {
    const { id } = await sluice.connectors.create(restConnector(f.api) as never);
    const job = await sluice.connectors.sync(id);
    expect(job).toMatchObject({ job_id: expect.stringMatching(/^sync_/), status: "running" });
    let record = await sluice.syncHistory.get(job.job_id);
    for (let i = 0; i < 300 && record.status === "running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await sluice.syncHistory.get(job.job_id);
    }
    expect(record).toMatchObject({ id: job.job_id, connector_id: id, status: "completed" });
    const history = await sluice.syncHistory.list({ connector_id: id });
    expect(history.items.map((s) => s.id)).toEqual([job.job_id]);
    const everySync = [];
    for await (const sync of sluice.syncHistory.iterate({ connector_id: id, limit: 1 })) everySync.push(sync.id);
    expect(everySync).toEqual([job.job_id]);
    const entries = await sluice.catalog.list({ connector_id: id });
    expect(entries.items.length).toBeGreaterThan(0);
    const entry = entries.items[0]!;
    expect(await sluice.catalog.get(entry.entry_id)).toMatchObject({ entry_id: entry.entry_id, connector_id: id });
    const iterated = [];
    for await (const item of sluice.catalog.iterate({ connector_id: id, limit: 1 })) iterated.push(item.entry_id);
    expect(iterated).toEqual(entries.items.map((e) => e.entry_id));
  });

  it("uploads a dbt manifest; a missing file raises before any request", async () => {
    const dbt = await sluice.connectors.create({ name: "dbt via SDK", connector_type: "dbt", connection_config: { project_name: "jaffle" } } as never);
    const requestsBefore = f.h.logs.filter((line) => line.includes("dbt-manifest")).length;
    const missing = await failure(sluice.connectors.uploadDbtManifest(dbt.id, "target/no-such-manifest.json"));
    expect(missing).toBeInstanceOf(SluiceFileNotFoundError);
    expect(missing).toMatchObject({ code: "ENOENT", path: "target/no-such-manifest.json" });
    expect(await failure(sluice.connectors.uploadDbtManifest(dbt.id, "test/fixtures"))).toBeInstanceOf(SluiceFileNotFoundError);
    expect(f.h.logs.filter((line) => line.includes("dbt-manifest")).length).toBe(requestsBefore);

    const imported = await sluice.connectors.uploadDbtManifest(dbt.id, "test/fixtures/dbt/jaffle_shop.manifest.v12.json");
    expect(imported).toMatchObject({ job_id: expect.stringMatching(/^sync_/), kind: "dbt_manifest", status: "completed", products_created: 7 });
    expect((await sluice.catalog.list({ connector_id: dbt.id, q: "customers" })).items.length).toBeGreaterThan(0);
  });
});

describe("spaces (seed 004's space_slug)", () => {
  it("list, get, create, update, delete, sync, uploadDbtManifest and sync history in a space", async () => {
    const space = sluice.space("marketing-analytics");
    const created = await space.connectors.create({
      name: "Production PostgreSQL",
      connector_type: "postgres",
      config: { host: "db.example.com", port: 5432, database: "analytics" },
      credentials: { username: "service_account", password: "sdk-space-S3cret" },
    } as never);
    expect(created).toMatchObject({ connector_type: "postgresql", space: "marketing-analytics", config: { password: "***REDACTED***" } });
    expect((await space.connectors.list()).map((c) => c.id)).toEqual([created.id]);
    expect(await space.connectors.get(created.id)).toMatchObject({ id: created.id, is_active: true });
    expect(await failure(sluice.space("other-space").connectors.get(created.id))).toMatchObject({ status: 404 });
    expect(await space.connectors.update(created.id, { name: "Renamed in the space" } as never)).toMatchObject({ name: "Renamed in the space" });
    expect(await space.connectors.sync(created.id)).toMatchObject({ job_id: expect.stringMatching(/^sync_/), status: "running" });

    const dbt = await space.connectors.create({ name: "space dbt", connector_type: "dbt", config: { project_name: "jaffle" } } as never);
    expect(await failure(space.connectors.uploadDbtManifest(dbt.id, "missing/manifest.json"))).toBeInstanceOf(SluiceFileNotFoundError);
    expect(await space.connectors.uploadDbtManifest(dbt.id, "test/fixtures/dbt/jaffle_shop.manifest.v12.json")).toMatchObject({ status: "completed", products_created: 7 });
    const history = await space.connectors.syncHistory();
    expect(history.items.map((s) => s.connector_id)).toEqual(expect.arrayContaining([created.id, dbt.id]));
    await space.connectors.delete(created.id);
    expect((await space.connectors.list()).map((c) => c.id)).toEqual([dbt.id]);
    expect(f.h.logs.join("\n")).not.toContain("sdk-space-S3cret");
  });
});
