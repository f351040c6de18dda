// Neo4j discovery: node labels and relationship types with the property keys seen on them.
import type { QueryResult } from "neo4j-driver";
import type { CatalogEntry } from "./contract.js";

type Run = (cypher: string) => Promise<QueryResult>;

async function keysPer(run: Run, cypher: string): Promise<Map<string, Set<string>>> {
  const result = await run(cypher);
  const keys = new Map<string, Set<string>>();
  for (const record of result.records) {
    const name = String(record.get("name"));
    const set = keys.get(name) ?? new Set<string>();
    for (const key of (record.get("keys") as string[] | null) ?? []) set.add(key);
    keys.set(name, set);
  }
  return keys;
}

export async function discoverNeo4j(run: Run): Promise<CatalogEntry[]> {
  // Sampled with plain MATCH rather than APOC or db.schema.*: it works on any Bolt server.
  const labels = await keysPer(run, "MATCH (n) WITH n LIMIT 10000 UNWIND labels(n) AS name RETURN name, keys(n) AS keys");
  const types = await keysPer(run, "MATCH ()-[r]->() WITH r LIMIT 10000 RETURN type(r) AS name, keys(r) AS keys");
  const entry = (kind: CatalogEntry["kind"], name: string, keys: Set<string>): CatalogEntry => ({
    kind,
    name,
    columns: [...keys].sort().map((key) => ({ name: key, data_type: "any" })),
  });
  return [
    ...[...labels].sort(([a], [b]) => a.localeCompare(b)).map(([name, keys]) => entry("label", name, keys)),
    ...[...types].sort(([a], [b]) => a.localeCompare(b)).map(([name, keys]) => entry("relationship", name, keys)),
  ];
}
