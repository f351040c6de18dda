// Neo4j discovery: node labels and relationship types with their property keys, types inferred
// from a sample, and counts. Labels and types come from the standard db.labels() and
// db.relationshipTypes() procedures (Neo4j, FalkorDB); a server without them falls back to the
// labels and types found in a sample of the graph.
import neo4j, { type QueryResult } from "neo4j-driver";
import { SampledFields } from "./columns.js";
import type { CatalogEntry } from "./contract.js";

export type Run = (cypher: string, params?: Record<string, unknown>) => Promise<QueryResult>;

export const DEFAULT_GRAPH_SAMPLE = 100;

const quote = (name: string) => "`" + name.replaceAll("`", "``") + "`";
const numberOf = (value: unknown) => (neo4j.isInt(value) ? (value as { toNumber(): number }).toNumber() : Number(value));

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (neo4j.isInt(value)) return "integer";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return "float";
  if (typeof value !== "object") return typeof value;
  // Temporal and spatial values: DateTime, LocalDateTime, Date, Time, Duration, Point.
  return value.constructor?.name ? value.constructor.name.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase()) : "map";
}

async function names(run: Run, procedure: string, column: string): Promise<string[] | undefined> {
  try {
    return (await run(`CALL ${procedure}() YIELD ${column} RETURN ${column}`)).records.map((r) => String(r.get(column))).sort();
  } catch {
    return undefined; // not registered on this server
  }
}

async function sampledNames(run: Run, cypher: string): Promise<string[]> {
  return [...new Set((await run(cypher)).records.map((r) => String(r.get("name"))))].sort();
}

/** Property keys and types over a sample of the label's nodes (or the type's relationships). */
async function describe(run: Run, match: string, sampleSize: number): Promise<{ fields: SampledFields; count: number }> {
  const fields = new SampledFields();
  const sampled = await run(`${match} WITH x LIMIT $size RETURN x`, { size: neo4j.int(sampleSize) });
  for (const record of sampled.records) {
    fields.item();
    const properties = (record.get("x") as { properties: Record<string, unknown> }).properties;
    for (const [key, value] of Object.entries(properties)) fields.see(key, typeOf(value));
  }
  const counted = await run(`${match} RETURN count(x) AS count`);
  return { fields, count: numberOf(counted.records[0]?.get("count") ?? 0) };
}

export async function discoverNeo4j(run: Run, sampleSize = DEFAULT_GRAPH_SAMPLE): Promise<CatalogEntry[]> {
  const labels =
    (await names(run, "db.labels", "label")) ?? (await sampledNames(run, "MATCH (n) WITH n LIMIT 10000 UNWIND labels(n) AS name RETURN name"));
  const types =
    (await names(run, "db.relationshipTypes", "relationshipType")) ??
    (await sampledNames(run, "MATCH ()-[r]->() WITH r LIMIT 10000 RETURN type(r) AS name"));
  const entries: CatalogEntry[] = [];
  // A label or type whose last node or relationship is gone may still be listed by the server
  // (its token stays): with nothing carrying it, it is not in the graph any more.
  for (const label of labels) {
    const { fields, count } = await describe(run, `MATCH (x:${quote(label)})`, sampleSize);
    if (count > 0) entries.push({ kind: "label", name: label, columns: fields.columns(), row_estimate: count });
  }
  for (const type of types) {
    const { fields, count } = await describe(run, `MATCH ()-[x:${quote(type)}]->()`, sampleSize);
    if (count > 0) entries.push({ kind: "relationship", name: type, columns: fields.columns(), row_estimate: count });
  }
  return entries;
}
