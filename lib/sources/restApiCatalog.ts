// REST discovery: the records of the endpoint's first page, fields and types inferred as for
// MongoDB (nested objects as dotted paths, a field missing from some records nullable), one
// catalog entry named after the path.
import { SampledFields } from "./columns.js";
import type { CatalogEntry } from "./contract.js";

/** Objects deeper than this are typed "object" rather than followed (as MongoDB's discovery does). */
const MAX_DEPTH = 3;

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function visit(fields: SampledFields, record: Record<string, unknown>, prefix: string, depth: number): void {
  for (const [key, value] of Object.entries(record)) {
    const path = prefix + key;
    const type = jsonType(value);
    fields.see(path, type);
    if (type === "object" && depth < MAX_DEPTH) visit(fields, value as Record<string, unknown>, `${path}.`, depth + 1);
  }
}

export function sampledEntry(name: string, records: readonly Record<string, unknown>[]): CatalogEntry {
  const fields = new SampledFields();
  for (const record of records) {
    fields.item();
    visit(fields, record, "", 1);
  }
  return { kind: "collection", name, columns: fields.columns("id") };
}
