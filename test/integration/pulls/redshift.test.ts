// The `redshift` type against PostgreSQL — there is no Redshift here; Redshift speaks PostgreSQL's
// protocol. The pull suite runs with `ssl_mode: "disable"` (the local server has no TLS; Redshift's
// default, require, is one of the failures), then discovery: PostgreSQL's catalog on PostgreSQL,
// and Redshift's query (svv_tables, svv_columns, svv_table_info) once the server looks like
// Redshift: a version() saying so and views of those names, shaped like Redshift's, in the path.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogOf, syncAndWait } from "../../support/catalogSuite.js";
import { startHarness, type Harness } from "../../support/harness.js";
import { productsTable } from "../../support/postgresProducts.js";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort, isPortOpen } from "../../support/servers/net.js";
import { startPostgres, type PostgresServer } from "../../support/servers/postgres.js";

const REDSHIFT_VERSION = "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.99999";

definePullSuite({
  slowQuery: "SELECT 1 AS id, 'slow' AS name FROM pg_sleep(2)",
  type: "redshift",
  async start() {
    // Redshift's default port must be closed here, for the "default port" failure to mean it.
    if (await isPortOpen(5439)) throw new Error("something listens on 127.0.0.1:5439; the redshift tests need that port closed");
    const server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const products = await productsTable(client);
    const fields = { host: server.host, database: server.database, username: server.user, password: server.password };
    return {
      config: { ...fields, port: server.port, ssl_mode: "disable" },
      failures: [
        { label: "TLS required by default, server without", config: { ...fields, port: server.port }, type: "ssl_error" },
        { label: "default port 5439, nothing there", config: { ...fields, ssl_mode: "disable" }, type: "connection_refused" },
        { label: "wrong password", config: { ...fields, port: server.port, ssl_mode: "disable", password: "not-the-password" }, type: "authentication_failed" },
        { label: "unknown database", config: { ...fields, port: server.port, ssl_mode: "disable", database: "no_such_db" }, type: "database_not_found" },
        { label: "closed port", config: { ...fields, port: await freePort(), ssl_mode: "disable" }, type: "connection_refused" },
      ],
      ...products,
      queries: {
        incremental: "SELECT id, name, sku, updated_at FROM products WHERE updated_at > :last_pull",
        full: "SELECT id, name, sku, updated_at FROM products",
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

describe("redshift discovery and connection test", () => {
  let server: PostgresServer;
  let h: Harness;
  let admin: pg.Client;
  let config: Record<string, unknown>;

  const connector = async (name: string) => {
    const created = await h.request("POST", "/api/v1/connectors", { body: { name, connector_type: "redshift", connection_config: config } });
    expect(created.status, created.text).toBe(201);
    return created.body.id as string;
  };
  const relation = (entries: any[], schema: string, name: string) => entries.find((e) => e.schema === schema && e.name === name);

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query("CREATE SCHEMA sales");
    await admin.query("CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer varchar(120) NOT NULL, total numeric(12,2))");
    await admin.query("CREATE VIEW sales.big_orders AS SELECT id, total FROM sales.orders WHERE total > 100");
    h = await startHarness();
    config = { host: server.host, port: server.port, database: server.database, username: server.user, password: server.password, ssl_mode: "disable" };
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await h?.close();
    await server?.stop();
  });

  it("on PostgreSQL reads PostgreSQL's catalog, primary keys included, and reports PostgreSQL's version", async () => {
    const id = await connector("redshift on postgres");
    expect(await syncAndWait(h, id)).toMatchObject({ status: "completed", error: null });
    const entries = await catalogOf(h, id);
    const orders = relation(entries, "sales", "orders");
    expect(orders).toMatchObject({ kind: "table", database: server.database });
    expect(orders.columns).toEqual([
      { name: "id", data_type: "bigint", nullable: false, primary_key: true },
      { name: "customer", data_type: "character varying(120)", nullable: false, primary_key: false },
      { name: "total", data_type: "numeric(12,2)", nullable: true, primary_key: false },
    ]);
    expect(relation(entries, "sales", "big_orders")).toMatchObject({ kind: "view" });
    const tested = await h.request("POST", `/api/v1/connectors/${id}/test`);
    expect(tested.body).toMatchObject({ status: "success", details: { version: expect.stringMatching(/^PostgreSQL \d+/), schemas_available: expect.arrayContaining(["public", "sales"]) } });
  });

  it("on a server whose version() says Redshift reads Redshift's system views instead", async () => {
    await admin.query("CREATE SCHEMA redshift_sim");
    await admin.query(`CREATE FUNCTION redshift_sim.version() RETURNS text LANGUAGE sql AS $$ SELECT '${REDSHIFT_VERSION}'::text $$`);
    await admin.query("CREATE VIEW redshift_sim.svv_tables AS SELECT table_catalog::text, table_schema::text, table_name::text, table_type::text FROM information_schema.tables");
    await admin.query(
      `CREATE VIEW redshift_sim.svv_columns AS SELECT table_catalog::text, table_schema::text, table_name::text, column_name::text, ordinal_position::int,
         data_type::text, character_maximum_length::int, numeric_precision::int, numeric_scale::int, is_nullable::text FROM information_schema.columns`,
    );
    await admin.query(
      `CREATE VIEW redshift_sim.svv_table_info AS SELECT current_database()::text AS database, n.nspname::text AS schema, c.relname::text AS "table", 42::bigint AS tbl_rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'`,
    );
    // pg_catalog named after the stand-in: its version() and svv_* views are found first.
    await admin.query(`ALTER ROLE ${server.user} SET search_path = redshift_sim, pg_catalog, public`);

    const id = await connector("redshift look-alike");
    expect(await syncAndWait(h, id)).toMatchObject({ status: "completed", error: null });
    const entries = await catalogOf(h, id);
    const orders = relation(entries, "sales", "orders");
    expect(orders).toMatchObject({ kind: "table", database: server.database, row_estimate: 42 });
    // Built from svv_columns' parts; no primary key claimed (Redshift's are not enforced).
    expect(orders.columns).toEqual([
      { name: "id", data_type: "bigint", nullable: false },
      { name: "customer", data_type: "character varying(120)", nullable: false },
      { name: "total", data_type: "numeric(12,2)", nullable: true },
    ]);
    expect(relation(entries, "sales", "big_orders")).toMatchObject({ kind: "view" });
    expect(relation(entries, "sales", "big_orders").row_estimate).toBeUndefined();
    expect(relation(entries, "redshift_sim", "svv_tables")).toMatchObject({ kind: "view" }); // the stand-in's own views
    const tested = await h.request("POST", `/api/v1/connectors/${id}/test`);
    expect(tested.body).toMatchObject({ status: "success", details: { version: "Redshift 1.0.99999" } });
  });

  it("no password appears in any response or log line", () => {
    const everything = [...h.responses, ...h.logs];
    expect(everything.filter((line) => line.includes(server.password))).toEqual([]);
  });
});
