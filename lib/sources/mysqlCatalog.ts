// MySQL / MariaDB discovery: tables and views of the connected database (or every user
// schema when none is selected), with columns, primary keys and row estimates.
import type { CatalogEntry } from "./contract.js";

type Query = <T>(sql: string, values?: unknown[]) => Promise<T>;

const userSchemas = "NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')";

export async function discoverMySql(query: Query): Promise<CatalogEntry[]> {
  const tables = await query<{ schema: string; name: string; type: string; estimate: number | null }[]>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS estimate
     FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(DATABASE(), TABLE_SCHEMA) AND TABLE_SCHEMA ${userSchemas}
     ORDER BY 1, 2`,
  );
  const columns = await query<{ schema: string; table: string; name: string; type: string; nullable: string; key: string }[]>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS name, DATA_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS \`key\`
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(DATABASE(), TABLE_SCHEMA) AND TABLE_SCHEMA ${userSchemas}
     ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
  );
  const byTable = new Map<string, CatalogEntry["columns"]>();
  for (const column of columns) {
    const key = `${column.schema}.${column.table}`;
    if (!byTable.has(key)) byTable.set(key, []);
    byTable.get(key)!.push({ name: column.name, data_type: column.type, nullable: column.nullable === "YES", primary_key: column.key === "PRI" });
  }
  return tables.map((t) => ({
    kind: /VIEW/i.test(t.type) ? "view" : "table",
    schema: t.schema,
    name: t.name,
    columns: byTable.get(`${t.schema}.${t.name}`) ?? [],
    ...(t.estimate !== null && !/VIEW/i.test(t.type) ? { row_estimate: Number(t.estimate) } : {}),
  }));
}
