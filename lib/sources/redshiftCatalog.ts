// Redshift discovery: tables (local and Spectrum's external ones), views and columns from
// Redshift's system views svv_tables and svv_columns, which also list what pg_class does not
// (late-binding views, external tables), and row counts from svv_table_info.
import type pg from "pg";
import { groupColumns } from "./columns.js";
import type { CatalogEntry } from "./contract.js";

const userSchemas = (column: string) => `${column} NOT IN ('pg_catalog', 'information_schema', 'pg_internal', 'pg_automv') AND ${column} NOT LIKE 'pg\\_%'`;

interface ColumnRow {
  schema: string;
  table: string;
  name: string;
  type: string;
  length: number | null;
  precision: number | null;
  scale: number | null;
  nullable: string;
}

/** svv_columns splits a type ("character varying", 256): put back as format_type writes it. */
export function columnType(column: Pick<ColumnRow, "type" | "length" | "precision" | "scale">): string {
  if (column.length !== null && /char/.test(column.type)) return `${column.type}(${column.length})`;
  if (column.type === "numeric" && column.precision !== null) return `numeric(${column.precision},${column.scale ?? 0})`;
  return column.type;
}

export async function discoverRedshift(client: pg.Client): Promise<CatalogEntry[]> {
  const relations = await client.query<{ database: string; schema: string; name: string; type: string; estimate: string | number | null }>(
    `SELECT t.table_catalog AS database, t.table_schema AS schema, t.table_name AS name, t.table_type AS type, i.tbl_rows AS estimate
     FROM svv_tables t
     LEFT JOIN svv_table_info i ON i.database = t.table_catalog AND i.schema = t.table_schema AND i."table" = t.table_name
     WHERE ${userSchemas("t.table_schema")}
     ORDER BY 2, 3`,
  );
  const columns = await client.query<ColumnRow>(
    `SELECT table_schema AS schema, table_name AS table, column_name AS name, data_type AS type,
            character_maximum_length AS length, numeric_precision AS precision, numeric_scale AS scale, is_nullable AS nullable
     FROM svv_columns
     WHERE ${userSchemas("table_schema")}
     ORDER BY table_schema, table_name, ordinal_position`,
  );
  // Redshift's primary keys are informational only (not enforced): none is claimed here.
  const byTable = groupColumns(columns.rows.map((c) => ({ key: `${c.schema}.${c.table}`, column: { name: c.name, data_type: columnType(c), nullable: c.nullable === "YES" } })));
  return relations.rows.map((r) => {
    const view = r.type === "VIEW";
    const estimate = r.estimate === null ? Number.NaN : Number(r.estimate);
    return {
      kind: view ? "view" : "table",
      database: r.database,
      schema: r.schema,
      name: r.name,
      columns: byTable.get(`${r.schema}.${r.name}`) ?? [],
      ...(!view && estimate >= 0 ? { row_estimate: Math.round(estimate) } : {}),
    };
  });
}
