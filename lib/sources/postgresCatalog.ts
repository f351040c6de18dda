// PostgreSQL discovery: tables, partitioned tables, views and materialized views of every user
// schema, with columns (type as the server spells it, nullability, primary key) and the
// planner's row estimates, read from pg_catalog in two queries.
import type pg from "pg";
import { groupColumns } from "./columns.js";
import type { CatalogEntry } from "./contract.js";

const userSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

export async function discoverPostgres(client: pg.Client): Promise<CatalogEntry[]> {
  const relations = await client.query<{ database: string; schema: string; name: string; kind: string; estimate: string | number | null }>(
    `SELECT current_database() AS database, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples AS estimate
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${userSchemas}
     ORDER BY 2, 3`,
  );
  // format_type gives "character varying(200)" or "numeric(10,2)" where information_schema
  // says only "character varying" or "USER-DEFINED".
  const columns = await client.query<{ schema: string; table: string; name: string; type: string; nullable: boolean; pk: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            NOT a.attnotnull AS nullable,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS pk
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm') AND ${userSchemas}
     ORDER BY n.nspname, c.relname, a.attnum`,
  );
  const byTable = groupColumns(columns.rows.map((c) => ({ key: `${c.schema}.${c.table}`, column: { name: c.name, data_type: c.type, nullable: c.nullable, primary_key: c.pk } })));
  return relations.rows.map((r) => {
    // reltuples is -1 until the table was first analyzed or vacuumed: no estimate then.
    const estimate = Number(r.estimate);
    return {
      kind: r.kind === "v" || r.kind === "m" ? "view" : "table",
      database: r.database,
      schema: r.schema,
      name: r.name,
      columns: byTable.get(`${r.schema}.${r.name}`) ?? [],
      ...(r.kind !== "v" && estimate >= 0 ? { row_estimate: Math.round(estimate) } : {}),
    };
  });
}
