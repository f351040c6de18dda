// The pull suite's products table on a PostgreSQL server, and the seed, touch and insert the suite
// asks of it: for every fixture that speaks PostgreSQL (postgresql, redshift).
import type pg from "pg";
import type { PullTarget } from "./pullSuite.js";

export async function productsTable(client: pg.Client): Promise<Pick<PullTarget, "seed" | "touch" | "insertAt">> {
  await client.query("DROP TABLE IF EXISTS products");
  await client.query(
    "CREATE TABLE products (id integer PRIMARY KEY, name text NOT NULL, sku text, price numeric(10,2), stock bigint, updated_at timestamptz NOT NULL)",
  );
  return {
    async seed(count, ageSeconds) {
      await client.query(
        `INSERT INTO products SELECT i, 'Product ' || i, 'SKU-' || lpad(i::text, 4, '0'), i * 1.25, i * 1000000000000, now() - make_interval(secs => $2)
         FROM generate_series(1, $1) AS i`,
        [count, ageSeconds],
      );
    },
    async touch(id, name) {
      await client.query("UPDATE products SET name = $2, updated_at = now() WHERE id = $1", [id, name]);
    },
    async insertAt(id, updatedAt) {
      await client.query("INSERT INTO products VALUES ($1::int, 'Product ' || $1::int, 'SKU-' || lpad($1::int::text, 4, '0'), 1.5, 7, $2)", [id, updatedAt]);
    },
  };
}
