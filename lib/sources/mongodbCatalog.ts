// MongoDB discovery: collections and views with fields and types inferred from a random sample
// ($sample) of each, nested documents as dotted paths, and the collection's count estimate.
import type { Db, Document } from "mongodb";
import { SampledFields } from "./columns.js";
import type { CatalogEntry } from "./contract.js";

export const DEFAULT_SAMPLE_SIZE = 100;
/** Sub-documents deeper than this are typed "object" rather than followed. */
const MAX_DEPTH = 3;

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  const bson = (value as { _bsontype?: string })?._bsontype;
  if (bson) return bson.toLowerCase();
  return typeof value === "object" ? "object" : typeof value;
}

function visit(fields: SampledFields, doc: Document, prefix: string, depth: number): void {
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix + key;
    const type = typeOf(value);
    fields.see(path, type);
    if (type === "object" && depth < MAX_DEPTH) visit(fields, value as Document, `${path}.`, depth + 1);
  }
}

export async function discoverMongo(db: Db, sampleSize = DEFAULT_SAMPLE_SIZE): Promise<CatalogEntry[]> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const entries: CatalogEntry[] = [];
  const listed = collections.filter((c) => !c.name.startsWith("system.")).sort((a, b) => a.name.localeCompare(b.name));
  for (const { name, type } of listed) {
    const view = type === "view";
    const sample = await db.collection(name).aggregate<Document>([{ $sample: { size: sampleSize } }]).toArray();
    const fields = new SampledFields();
    for (const doc of sample) {
      fields.item();
      visit(fields, doc, "", 1);
    }
    entries.push({
      kind: view ? "view" : "collection",
      database: db.databaseName,
      name,
      columns: fields.columns("_id"),
      // A view has no count of its own (the server refuses estimatedDocumentCount on one).
      ...(view ? {} : { row_estimate: await db.collection(name).estimatedDocumentCount() }),
    });
  }
  return entries;
}
