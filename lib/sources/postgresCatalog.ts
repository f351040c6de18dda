// PostgreSQL discovery: tables and views with columns, primary keys and row estimates.
import type pg from "pg";
import type { CatalogEntry } from "./contract.js";

export async function discoverPostgres(client: pg.Client): Promise<CatalogEntry[]> {
  const relations = await client.query<{ schema: string; name: string; kind: string; estimate: string | number | null }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples AS estimate
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`,
  );
  const columns = await client.query<{ schema: string; table: string; name: string; type: string; nullable: string; pk: boolean }>(
    `SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable,
            EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                    JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema AND tc.table_name = c.table_name
                      AND k.column_name = c.column_name) AS pk
     FROM information_schema.columns c
     WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg\\_%'
     ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
  );
  const byTable = new Map<string, CatalogEntry["columns"]>();
  for (const column of columns.rows) {
    const key = `${column.schema}.${column.table}`;
    if (!byTable.has(key)) byTable.set(key, []);
    byTable.get(key)!.push({ name: column.name, data_type: column.type, nullable: column.nullable === "YES", primary_key: column.pk });
  }
  return relations.rows.map((r) => {
    const estimate = Number(r.estimate);
    return {
      kind: r.kind === "v" || r.kind === "m" ? "view" : "table",
      schema: r.schema,
      name: r.name,
      columns: byTable.get(`${r.schema}.${r.name}`) ?? [],
      ...(r.kind !== "v" && estimate >= 0 ? { row_estimate: Math.round(estimate) } : {}),
    };
  });
}
