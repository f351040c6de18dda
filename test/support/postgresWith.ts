// A real PostgreSQL (see servers/postgres.ts) with the given statements already run: the setup
// the catalog, health and worker tests share.
import pg from "pg";
import { startPostgres, type PostgresServer } from "./servers/postgres.js";

export async function postgresWith(statements: string[]): Promise<PostgresServer> {
  const server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
  return server;
}
