// One catalog suite for every source type, against a real server: a background sync answers
// 202 with a job id, discovers the source's relations with their columns, keeps first_seen_at,
// advances last_seen_at, marks a relation gone from the source `removed`, counts created /
// updated / removed in the sync history, refuses a second sync while one holds the lease, and
// records a failing sync with its typed error. Each type supplies a fixture knowing its server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncLeaseName } from "../../lib/catalog/syncRunner.js";
import { startHarness, type Harness } from "./harness.js";

export type Config = Record<string, unknown>;

export interface ExpectedEntry {
  kind: string;
  name: string;
  schema?: string;
  /** Columns that must be there, with what must hold of them. */
  columns: { name: string; data_type?: string | RegExp; nullable?: boolean; primary_key?: boolean }[];
  row_estimate?: number;
}

export interface CatalogTarget {
  config: Config;
  /** A config whose sync must fail, and the error type it must record. */
  failure: { config: Config; type: string };
  /** Creates what `expected` describes, plus `gone`. */
  create(): Promise<void>;
  /** Removes the relation named `gone` and creates the one named `added`. */
  change(): Promise<void>;
  expected: ExpectedEntry[];
  gone: { kind: string; name: string };
  added: { kind: string; name: string };
  /** Further checks of the first sync's entries (sampling, nested fields…). */
  check?(entries: any[]): void;
  secrets: string[];
  stop(): Promise<void>;
}

export interface CatalogFixture {
  type: "postgresql" | "mysql" | "mongodb" | "neo4j" | "redis" | "redshift";
  /** The connectors' query, where "SELECT 1" (or MongoDB's "{}") is not one the type accepts. */
  query?: string;
  /** Environment for the service (CATALOG_SAMPLE_SIZE…). */
  env?: Record<string, string>;
  start(): Promise<CatalogTarget>;
}

/** Starts a sync and waits for its record to leave `running`. */
export async function syncAndWait(h: Harness, connectorId: string): Promise<any> {
  const started = await h.request("POST", `/api/v1/connectors/${connectorId}/sync`);
  expect(started.status, started.text).toBe(202);
  expect(started.body).toEqual({ job_id: expect.stringMatching(/^sync_/), status: "running", started_at: expect.any(String) });
  for (let i = 0; i < 600; i++) {
    const record = await h.request("GET", `/api/v1/sync-history/${started.body.job_id}`);
    expect(record.status).toBe(200);
    if (record.body.status !== "running") return record.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sync ${started.body.job_id} did not finish in 60 s`);
}

export async function catalogOf(h: Harness, connectorId: string): Promise<any[]> {
  const items: any[] = [];
  let cursor = "";
  do {
    const page = await h.request("GET", `/api/v1/catalog?connector_id=${connectorId}&limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.status, page.text).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor ?? "";
  } while (cursor);
  return items;
}

export function defineCatalogSuite(fixture: CatalogFixture): void {
  describe(`${fixture.type} catalog discovery against a real server`, () => {
    let h: Harness;
    let target: CatalogTarget;
    let id: string;
    let first: any[];

    const find = (entries: any[], kind: string, name: string) => entries.find((e) => e.kind === kind && e.name === name);

    beforeAll(async () => {
      target = await fixture.start();
      await target.create();
      h = await startHarness(fixture.env);
      const created = await h.request("POST", "/api/v1/connectors", {
        body: { name: `${fixture.type} catalog`, connector_type: fixture.type, collection: "cat", record_type: "row", connection_config: target.config, query: fixture.query ?? (fixture.type === "mongodb" ? "{}" : "SELECT 1") },
      });
      expect(created.status, created.text).toBe(201);
      id = created.body.id;
    }, 180_000);
    afterAll(async () => {
      await h?.close();
      await target?.stop();
    });

    it("a sync runs in the background and catalogs every relation with its columns", async () => {
      const sync = await syncAndWait(h, id);
      expect(sync).toMatchObject({ status: "completed", kind: "discovery", connector_id: id, connector_name: `${fixture.type} catalog`, products_updated: 0, products_removed: 0, error: null });
      expect(sync.products_created).toBeGreaterThanOrEqual(target.expected.length + 1);
      first = await catalogOf(h, id);
      expect(first).toHaveLength(sync.products_created);
      for (const expected of target.expected) {
        const entry = find(first, expected.kind, expected.name);
        expect(entry, `${expected.kind} ${expected.name} in ${JSON.stringify(first.map((e) => e.name))}`).toBeDefined();
        expect(entry).toMatchObject({ connector_id: id, origin: "discovery", removed: false, removed_at: null, entry_id: expect.stringMatching(/^cat_/) });
        if (expected.schema) expect(entry.schema).toBe(expected.schema);
        expect(entry.first_seen_at).toBe(entry.last_seen_at);
        if (expected.row_estimate !== undefined) expect(entry.row_estimate).toBe(expected.row_estimate);
        for (const column of expected.columns) {
          const found = entry.columns.find((c: any) => c.name === column.name);
          expect(found, `${expected.name}.${column.name} in ${JSON.stringify(entry.columns)}`).toBeDefined();
          if (column.data_type instanceof RegExp) expect(found.data_type).toMatch(column.data_type);
          else if (column.data_type !== undefined) expect(found.data_type).toBe(column.data_type);
          if (column.nullable !== undefined) expect(found.nullable, `${expected.name}.${column.name} nullable`).toBe(column.nullable);
          if (column.primary_key !== undefined) expect(found.primary_key, `${expected.name}.${column.name} primary key`).toBe(column.primary_key);
        }
      }
      expect(find(first, target.gone.kind, target.gone.name)).toBeDefined();
      target.check?.(first);
    });

    it("reads one entry, and searches the catalog by name", async () => {
      const entry = find(first, target.expected[0]!.kind, target.expected[0]!.name);
      const one = await h.request("GET", `/api/v1/catalog/${entry.entry_id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(entry);
      expect(one.body.tenant).toBeUndefined();
      const fragment = entry.name.slice(1, 5).toUpperCase();
      const search = await h.request("GET", `/api/v1/catalog?q=${encodeURIComponent(fragment)}`);
      expect(search.status).toBe(200);
      expect(search.body.items.map((e: any) => e.entry_id)).toContain(entry.entry_id);
      for (const item of search.body.items) expect(item.name.toLowerCase()).toContain(fragment.toLowerCase());
      expect((await h.request("GET", "/api/v1/catalog/cat_nosuchentry")).status).toBe(404);
    });

    it("a later sync marks a relation gone from the source removed, adds the new one, and keeps first_seen_at", async () => {
      await target.change();
      const sync = await syncAndWait(h, id);
      expect(sync).toMatchObject({ status: "completed", products_created: 1, products_removed: 1 });
      const second = await catalogOf(h, id);
      expect(second).toHaveLength(first.length + 1); // removed entries stay, marked
      const gone = find(second, target.gone.kind, target.gone.name);
      expect(gone).toMatchObject({ removed: true, removed_at: expect.any(String) });
      expect(gone.last_seen_at).toBe(find(first, target.gone.kind, target.gone.name).last_seen_at);
      expect(find(second, target.added.kind, target.added.name)).toMatchObject({ removed: false });
      const kept = find(second, target.expected[0]!.kind, target.expected[0]!.name);
      const before = find(first, target.expected[0]!.kind, target.expected[0]!.name);
      expect(kept.entry_id).toBe(before.entry_id);
      expect(kept.first_seen_at).toBe(before.first_seen_at);
      expect(kept.last_seen_at > before.last_seen_at).toBe(true);
      // A third sync with nothing changed: nothing created, updated or removed again.
      expect(await syncAndWait(h, id)).toMatchObject({ products_created: 0, products_updated: 0, products_removed: 0, products_unchanged: second.length - 1 });
    });

    it("keeps a sync history, newest first, per connector and for the tenant", async () => {
      const history = await h.request("GET", `/api/v1/sync-history?connector_id=${id}`);
      expect(history.status).toBe(200);
      expect(history.body.total).toBe(3);
      expect(history.body.items.map((s: any) => s.status)).toEqual(["completed", "completed", "completed"]);
      const item = history.body.items[0];
      expect(Object.keys(item)).toEqual(expect.arrayContaining(["id", "connector_id", "connector_name", "status", "products_created", "products_updated", "products_removed", "started_at", "completed_at", "error"]));
      expect(history.body.items[0].started_at >= history.body.items[2].started_at).toBe(true);
      const paged = await h.request("GET", `/api/v1/sync-history?connector_id=${id}&limit=2`);
      expect(paged.body.items).toHaveLength(2);
      const rest = await h.request("GET", `/api/v1/sync-history?connector_id=${id}&limit=2&cursor=${paged.body.next_cursor}`);
      expect(rest.body.items.map((s: any) => s.id)).toEqual([history.body.items[2].id]);
      const all = await h.request("GET", "/api/v1/sync-history");
      expect(all.body.total).toBeGreaterThanOrEqual(3);
    });

    it("a second sync while one holds the connector's lease answers 409 and changes nothing", async () => {
      const { leases } = h.service.services;
      const lease = await leases.acquire(syncLeaseName("default", id), "sync_elsewhere");
      try {
        const second = await h.request("POST", `/api/v1/connectors/${id}/sync`);
        expect(second.status).toBe(409);
        expect(second.body).toMatchObject({ error: "conflict", details: { sync_id: "sync_elsewhere" } });
        expect((await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.total).toBe(3);
      } finally {
        await leases.release(lease);
      }
      expect((await syncAndWait(h, id)).status).toBe("completed");
    });

    it("a sync that cannot connect is recorded failed with its typed error", async () => {
      const created = await h.request("POST", "/api/v1/connectors", {
        body: { name: "unreachable", connector_type: fixture.type, collection: "cat", record_type: "row", connection_config: target.failure.config, query: fixture.query ?? (fixture.type === "mongodb" ? "{}" : "SELECT 1") },
      });
      const sync = await syncAndWait(h, created.body.id);
      expect(sync).toMatchObject({ status: "failed", products_created: 0, error: { type: target.failure.type, message: expect.any(String) } });
      expect(sync.completed_at).toEqual(expect.any(String));
      expect(await catalogOf(h, created.body.id)).toEqual([]);
    });

    it("no secret of the connection config appears in any response or log line", () => {
      const everything = [...h.responses, ...h.logs];
      expect(everything.length).toBeGreaterThan(10);
      for (const secret of target.secrets) expect(everything.filter((line) => line.includes(secret))).toEqual([]);
    });
  });
}
