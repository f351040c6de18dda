// The pull suite on a real MariaDB (Debian's mariadb-server, or MYSQL_URL).
import mysql from "mysql2/promise";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startMariaDb } from "../../support/servers/mariadb.js";

definePullSuite({
  slowQuery: "SELECT 1 AS id, 'slow' AS name, SLEEP(2) AS slept",
  type: "mysql",
  async start() {
    const server = await startMariaDb();
    const db = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database, timezone: "Z" });
    await db.query("SET time_zone = '+00:00'");
    await db.query("DROP TABLE IF EXISTS products");
    await db.query(
      "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL, sku VARCHAR(20), price DECIMAL(10,2), stock BIGINT, updated_at DATETIME(3) NOT NULL)",
    );
    await db.query("DROP TABLE IF EXISTS numbers");
    // Recursion limits: MariaDB's and MySQL's names for it; each server ignores the other's.
    await db.query("SET SESSION max_recursive_iterations = 100000").catch(() => undefined);
    await db.query("SET SESSION cte_max_recursion_depth = 100000").catch(() => undefined);
    await db.query(
      "CREATE TABLE numbers (id INT PRIMARY KEY) SELECT seq AS id FROM (WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < 20000) SELECT seq FROM s) t",
    );
    const discrete = { host: server.host, port: server.port, user: server.user, password: server.password, database: server.database };
    return {
      // "prefer" on a server without TLS: every connection of the suite goes through the fallback.
      config: { ...discrete, ssl_mode: "prefer" },
      failures: [
        { label: "wrong password", config: { ...discrete, password: "not-the-password" }, type: "authentication_failed" },
        { label: "closed port", config: { ...discrete, port: await freePort() }, type: "connection_refused" },
        { label: "unknown database", config: { ...discrete, database: "no_such_db" }, type: "database_not_found" },
        { label: "TLS required, server without", config: { ...discrete, ssl_mode: "require" }, type: "ssl_error" },
        {
          label: "dsn, unknown host",
          config: { dsn: `mysql://${server.user}:${encodeURIComponent(server.password)}@no-such-host.invalid:${server.port}/${server.database}` },
          type: "dns_not_found",
        },
      ],
      async seed(count, ageSeconds) {
        await db.query(
          `INSERT INTO products
           WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
           SELECT i, CONCAT('Product ', i), CONCAT('SKU-', LPAD(i, 4, '0')), i * 1.25, i * 1000000000000, UTC_TIMESTAMP(3) - INTERVAL ? SECOND FROM seq`,
          [count, ageSeconds],
        );
      },
      async touch(id, name) {
        await db.query("UPDATE products SET name = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ?", [name, id]);
      },
      async insertAt(id, updatedAt) {
        await db.query("INSERT INTO products VALUES (?, CONCAT('Product ', ?), CONCAT('SKU-', LPAD(?, 4, '0')), 1.5, 7, ?)", [id, id, id, updatedAt]);
      },
      queries: {
        incremental: "SELECT id, name, sku, price, stock, updated_at FROM products WHERE updated_at > :last_pull # not ':last_pull'",
        full: "SELECT id, name, sku, price, stock, updated_at FROM products ORDER BY id",
        // "Subquery returns more than 1 row", raised at row 20000 of a plain scan: the stream
        // has long been paused by backpressure, so the error arrives mid-stream.
        failing: "SELECT id, CONCAT('Row ', id) AS name, IF(id = 20000, (SELECT c.id FROM numbers c WHERE c.id < 3), 0) AS boom FROM numbers",
      },
      failsMidStream: true,
      secrets: [server.password],
      async stop() {
        await db.end();
        await server.stop();
      },
    };
  },
});
