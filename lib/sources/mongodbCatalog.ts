// MongoDB discovery: collections with field names and types inferred from a sample.
import type { Db, Document } from "mongodb";
import type { CatalogEntry } from "./contract.js";

export const DEFAULT_SAMPLE_SIZE = 100;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  const bson = (value as { _bsontype?: string })?._bsontype;
  if (bson) return bson.toLowerCase();
  return typeof value === "object" ? "object" : typeof value;
}

export async function discoverMongo(db: Db, sampleSize = DEFAULT_SAMPLE_SIZE): Promise<CatalogEntry[]> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const entries: CatalogEntry[] = [];
  for (const { name } of collections.sort((a, b) => a.name.localeCompare(b.name))) {
    const sample = await db.collection(name).aggregate<Document>([{ $sample: { size: sampleSize } }]).toArray();
    const fields = new Map<string, { types: Set<string>; seen: number }>();
    for (const doc of sample) {
      for (const [field, value] of Object.entries(doc)) {
        const entry = fields.get(field) ?? { types: new Set<string>(), seen: 0 };
        entry.types.add(typeOf(value));
        entry.seen++;
        fields.set(field, entry);
      }
    }
    const estimate = await db.collection(name).estimatedDocumentCount();
    entries.push({
      kind: "collection",
      name,
      row_estimate: estimate,
      columns: [...fields].map(([field, info]) => ({
        name: field,
        data_type: [...info.types].sort().join("|"),
        nullable: info.seen < sample.length || info.types.has("null"),
        primary_key: field === "_id",
      })),
    });
  }
  return entries;
}
