// The catalog's pure parts: manifest versions and resources, links to discovered tables, and
// how a sync's findings become created, updated, unchanged, removed and revived entries.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { linkToDiscovered } from "../../../lib/catalog/dbt/link.js";
import { readManifest, schemaVersion } from "../../../lib/catalog/dbt/manifest.js";
import { reconcile } from "../../../lib/catalog/reconcile.js";
import type { CatalogItem, EntryDraft } from "../../../lib/catalog/types.js";

const v12 = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../fixtures/dbt/jaffle_shop.manifest.v12.json"), "utf8"));
const scope = { tenant: "t", connectorId: "conn_1" };
const table = (name: string, columns = [{ name: "id", data_type: "integer", nullable: false, primary_key: true }]): EntryDraft => ({
  origin: "discovery", key: `table:db.s.${name}`, kind: "table", database: "db", schema: "s", name, columns,
});

describe("dbt manifests", () => {
  it("accepts schema versions v7 to v12 and nothing else", () => {
    for (const v of [7, 8, 9, 10, 11, 12]) expect(schemaVersion(`https://schemas.getdbt.com/dbt/manifest/v${v}.json`)).toBe(v);
    for (const url of ["https://schemas.getdbt.com/dbt/manifest/v6.json", "https://schemas.getdbt.com/dbt/manifest/v13.json", "https://schemas.getdbt.com/dbt/catalog/v1.json", "v12"]) {
      expect(() => schemaVersion(url)).toThrow(/unsupported dbt manifest schema version/);
    }
  });

  it("reads models, seeds, snapshots and sources, skipping tests and v12's unit tests, semantic models and saved queries", () => {
    const { drafts, manifest } = readManifest(v12);
    expect(manifest).toMatchObject({ dbt_version: "1.8.7", project_name: "jaffle_shop", adapter_type: "postgres" });
    expect(drafts.map((d) => `${d.kind}:${d.name}`).sort()).toEqual([
      "model:customer_orders", "model:customers", "model:stg_customers", "seed:raw_payments", "snapshot:orders_snapshot", "source:customers", "source:orders",
    ]);
    expect(drafts.find((d) => d.kind === "source" && d.name === "orders")!.dbt).toMatchObject({ relation: "raw_orders", unique_id: "source.jaffle_shop.raw.orders" });
    expect(() => readManifest([])).toThrow(/JSON object/);
  });
});

describe("links to discovered tables", () => {
  const discovered = (schema: string, name: string, database: string | undefined, first: string, id: string) =>
    ({ entry_id: id, schema, name, database, first_seen_at: first, kind: "table" }) as unknown as CatalogItem;

  it("match schema and name case-insensitively, the database where the source has one, the oldest first", () => {
    const { drafts } = readManifest(v12);
    const { drafts: linked, linked: count } = linkToDiscovered(drafts, [
      discovered("JAFFLE", "Customers", "analytics", "2026-01-02", "cat_new"),
      discovered("jaffle", "customers", "analytics", "2026-01-01", "cat_old"),
      discovered("jaffle", "raw_payments", undefined, "2026-01-01", "cat_mysql"),
      discovered("jaffle", "stg_customers", "elsewhere", "2026-01-01", "cat_other_db"),
      discovered("jaffle", "customer_orders", "analytics", "2026-01-01", "cat_ephemeral"),
    ]);
    const of = (name: string, kind = "model") => linked.find((d) => d.name === name && d.kind === kind)!.linked_entry_id;
    expect(of("customers")).toBe("cat_old");
    expect(of("raw_payments", "seed")).toBe("cat_mysql");
    expect(of("stg_customers")).toBeUndefined();
    expect(of("customer_orders")).toBeUndefined(); // ephemeral: no relation in the warehouse
    expect(count).toBe(2);
  });
});

describe("reconcile", () => {
  it("creates, keeps, updates, removes and revives entries with their timestamps", () => {
    const first = reconcile(scope, [], [table("a"), table("b")], "2026-01-01T00:00:00.000Z");
    expect(first).toMatchObject({ created: 2, updated: 0, unchanged: 0, removed: 0 });
    const [a, b] = first.writes;
    const second = reconcile(scope, first.writes, [table("a"), table("c")], "2026-01-02T00:00:00.000Z");
    expect(second).toMatchObject({ created: 1, updated: 0, unchanged: 1, removed: 1 });
    const kept = second.writes.find((w) => w.name === "a")!;
    expect(kept).toMatchObject({ entry_id: a!.entry_id, first_seen_at: "2026-01-01T00:00:00.000Z", last_seen_at: "2026-01-02T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z" });
    expect(second.writes.find((w) => w.name === "b")).toMatchObject({ entry_id: b!.entry_id, removed: true, removed_at: "2026-01-02T00:00:00.000Z", last_seen_at: "2026-01-01T00:00:00.000Z" });
    const stored = [...second.writes];
    const wider = table("a", [{ name: "id", data_type: "bigint", nullable: false, primary_key: true }]);
    const third = reconcile(scope, stored, [wider, table("b"), table("c")], "2026-01-03T00:00:00.000Z");
    expect(third).toMatchObject({ created: 0, updated: 2, unchanged: 1, removed: 0 }); // a changed, b came back
    expect(third.writes.find((w) => w.name === "b")).toMatchObject({ removed: false, removed_at: null, first_seen_at: "2026-01-01T00:00:00.000Z" });
    // Already removed entries are not removed again.
    expect(reconcile(scope, second.writes, [table("a"), table("c")], "2026-01-04T00:00:00.000Z").removed).toBe(0);
  });
});
