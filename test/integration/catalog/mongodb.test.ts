// The catalog suite on MongoDB: the wire-protocol test server (listCollections, $sample, count
// over a real driver), or a real server when MONGODB_URI is set. CATALOG_SAMPLE_SIZE is 10, and a
// collection whose 50 documents each carry a field of their own shows the sample's size.
import { MongoClient } from "mongodb";
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { startMongoTestServer } from "../../support/mongo/server.js";
import { defineCatalogSuite } from "../../support/catalogSuite.js";
import { freePort } from "../../support/servers/net.js";

defineCatalogSuite({
  type: "mongodb",
  env: { CATALOG_SAMPLE_SIZE: "10" },
  async start() {
    const server = process.env.MONGODB_URI ? undefined : await startMongoTestServer();
    const uri = process.env.MONGODB_URI ?? server!.uri;
    const password = decodeURIComponent(new URL(uri).password);
    const database = `sluice_cat_${randomBytes(4).toString("hex")}`;
    const client = new MongoClient(uri);
    await client.connect();
    const db = client.db(database);
    const closed = new URL(uri);
    closed.port = String(await freePort());
    closed.hostname = "127.0.0.1";
    return {
      config: { uri, database },
      failure: { config: { uri: closed.toString(), database, connection_timeout_seconds: 3 }, type: "connection_refused" },
      async create() {
        // Eight documents (under the sample size): every field is seen; price is missing from two.
        await db.collection("products").insertMany(
          Array.from({ length: 8 }, (_, i) => ({
            _id: i + 1,
            name: `P${i + 1}`,
            ...(i < 6 ? { price: i + 0.5 } : {}),
            tags: ["a"],
            dims: { w: i, h: i * 2 },
            added: new Date(),
          })) as never[],
        );
        await db.collection("wide").insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, [`f${i}`]: i })) as never[]);
      },
      async change() {
        await db.collection("wide").drop();
        await db.collection("orders").insertOne({ _id: 1, total: 3 } as never);
      },
      expected: [
        {
          kind: "collection",
          name: "products",
          row_estimate: 8,
          columns: [
            { name: "_id", data_type: "number", nullable: false, primary_key: true },
            { name: "name", data_type: "string", nullable: false, primary_key: false },
            { name: "price", data_type: "number", nullable: true },
            { name: "tags", data_type: "array", nullable: false },
            { name: "dims", data_type: "object" },
            { name: "dims.w", data_type: "number", nullable: false },
            { name: "added", data_type: "date" },
          ],
        },
      ],
      gone: { kind: "collection", name: "wide" },
      added: { kind: "collection", name: "orders" },
      check(entries) {
        const products = entries.find((e) => e.name === "products");
        expect(products.database).toBe(database);
        expect(products.columns[0].name).toBe("_id");
        const wide = entries.find((e) => e.name === "wide");
        expect(wide.row_estimate).toBe(50);
        // _id plus the one field of each of the 10 sampled documents.
        expect(wide.columns).toHaveLength(11);
        for (const column of wide.columns.slice(1)) expect(column).toMatchObject({ data_type: "number", nullable: true });
      },
      secrets: password ? [password] : [],
      async stop() {
        await db.dropDatabase().catch(() => undefined);
        await client.close();
        await server?.stop();
      },
    };
  },
});
