// MySQL / MariaDB discovery: tables and views of the connected database (or every user
// schema when none is selected), with columns, primary keys and row estimates. MySQL has no
// level above the schema, so entries carry no database.
import type { CatalogEntry } from "./contract.js";
import { groupColumns } from "./columns.js";

type Query = <T>(sql: string, values?: unknown[]) => Promise<T>;

const userSchemas = "NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')";

export async function discoverMySql(query: Query): Promise<CatalogEntry[]> {
  const tables = await query<{ schema: string; name: string; type: string; estimate: number | null }[]>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS estimate
     FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(DATABASE(), TABLE_SCHEMA) AND TABLE_SCHEMA ${userSchemas}
     ORDER BY 1, 2`,
  );
  // COLUMN_TYPE keeps the length and precision ("varchar(200)", "decimal(10,2)") DATA_TYPE drops.
  const columns = await query<{ schema: string; table: string; name: string; type: string; nullable: string; key: string }[]>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS \`key\`
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(DATABASE(), TABLE_SCHEMA) AND TABLE_SCHEMA ${userSchemas}
     ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
  );
  const byTable = groupColumns(
    columns.map((c) => ({
      key: `${c.schema}.${c.table}`,
      column: { name: c.name, data_type: String(c.type), nullable: c.nullable === "YES", primary_key: c.key === "PRI" },
    })),
  );
  return tables.map((t) => {
    const view = /VIEW/i.test(t.type);
    return {
      kind: view ? "view" : "table",
      schema: t.schema,
      name: t.name,
      columns: byTable.get(`${t.schema}.${t.name}`) ?? [],
      // InnoDB's TABLE_ROWS is an estimate from index statistics, as the issue asks.
      ...(t.estimate !== null && !view ? { row_estimate: Number(t.estimate) } : {}),
    };
  });
}
