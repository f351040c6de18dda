// The catalog suite on a real MariaDB (Debian's mariadb-server, or MYSQL_URL).
import mysql from "mysql2/promise";
import { expect } from "vitest";
import { defineCatalogSuite } from "../../support/catalogSuite.js";
import { startMariaDb } from "../../support/servers/mariadb.js";

defineCatalogSuite({
  type: "mysql",
  async start() {
    const server = await startMariaDb();
    const db = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
    for (const name of ["cat_products", "cat_legacy", "cat_new"]) await db.query(`DROP TABLE IF EXISTS ${name}`);
    await db.query("DROP VIEW IF EXISTS cat_cheap");
    const config = { host: server.host, port: server.port, user: server.user, password: server.password, database: server.database };
    return {
      config,
      failure: { config: { ...config, password: "not-the-password" }, type: "authentication_failed" },
      async create() {
        await db.query("CREATE TABLE cat_products (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL, price DECIMAL(10,2), created_at DATETIME(3)) ENGINE=InnoDB");
        await db.query("INSERT INTO cat_products (id, name, price) WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 25) SELECT i, CONCAT('P', i), i * 1.5 FROM s");
        await db.query("ANALYZE TABLE cat_products");
        await db.query("CREATE VIEW cat_cheap AS SELECT id, name FROM cat_products WHERE price < 10");
        await db.query("CREATE TABLE cat_legacy (order_no BIGINT, customer TEXT)");
      },
      async change() {
        await db.query("DROP TABLE cat_legacy");
        await db.query("CREATE TABLE cat_new (order_no BIGINT PRIMARY KEY)");
      },
      expected: [
        {
          kind: "table",
          name: "cat_products",
          schema: server.database,
          columns: [
            { name: "id", data_type: /^int(\(11\))?$/, nullable: false, primary_key: true },
            { name: "name", data_type: "varchar(200)", nullable: false, primary_key: false },
            { name: "price", data_type: "decimal(10,2)", nullable: true },
            { name: "created_at", data_type: "datetime(3)", nullable: true },
          ],
        },
        { kind: "view", name: "cat_cheap", schema: server.database, columns: [{ name: "id", primary_key: false }, { name: "name", data_type: "varchar(200)" }] },
      ],
      gone: { kind: "table", name: "cat_legacy" },
      added: { kind: "table", name: "cat_new" },
      check(entries) {
        // InnoDB's TABLE_ROWS: an estimate from index statistics, exact after ANALYZE on a small table.
        const products = entries.find((e) => e.name === "cat_products");
        expect(products.row_estimate).toBe(25);
        expect(products.database).toBeUndefined();
        expect(entries.find((e) => e.name === "cat_cheap").row_estimate).toBeUndefined();
      },
      secrets: [server.password],
      async stop() {
        await db.end();
        await server.stop();
      },
    };
  },
});
