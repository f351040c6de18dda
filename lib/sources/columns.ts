// Column bookkeeping shared by the discoveries: columns grouped per relation (SQL catalogs), and
// fields whose type is inferred from sampled values (MongoDB documents, Neo4j properties).
import type { CatalogColumn } from "./contract.js";

/** Columns keyed by their relation, in the order the query returned them. */
export function groupColumns(rows: { key: string; column: CatalogColumn }[]): Map<string, CatalogColumn[]> {
  const byTable = new Map<string, CatalogColumn[]>();
  for (const { key, column } of rows) {
    const list = byTable.get(key);
    if (list) list.push(column);
    else byTable.set(key, [column]);
  }
  return byTable;
}

/** Collects, per field, the types seen across a sample; a field missing from some items is nullable. */
export class SampledFields {
  private readonly fields = new Map<string, { types: Set<string>; seen: number }>();
  private items = 0;

  /** Counts one sampled item; its fields are then given to `see`. */
  item(): void {
    this.items++;
  }

  see(field: string, type: string, times = 1): void {
    const entry = this.fields.get(field) ?? { types: new Set<string>(), seen: 0 };
    entry.types.add(type);
    entry.seen += times;
    this.fields.set(field, entry);
  }

  /** Declares how many items the sample held when they were counted elsewhere. */
  setItems(count: number): void {
    this.items = count;
  }

  /** The key first, then by name: a sample's order is random, the catalog's should not be. */
  columns(primaryKey?: string): CatalogColumn[] {
    const order = ([a]: [string, unknown], [b]: [string, unknown]) => Number(b === primaryKey) - Number(a === primaryKey) || a.localeCompare(b);
    return [...this.fields].sort(order).map(([name, info]) => ({
      name,
      // Several types ("int|string") when the sample disagrees with itself.
      data_type: [...info.types].filter((t) => t !== "null").sort().join("|") || "null",
      nullable: info.seen < this.items || info.types.has("null"),
      primary_key: name === primaryKey,
    }));
  }
}
