// The pull suite on MongoDB: the wire-protocol test server (real driver, real cursors with
// getMore), or a real server when MONGODB_URI is set.
import { Decimal128, Long } from "bson";
import { MongoClient } from "mongodb";
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { startMongoTestServer } from "../../support/mongo/server.js";
import { withPassword } from "../../support/mongo/uri.js";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort } from "../../support/servers/net.js";

definePullSuite({
  type: "mongodb",
  async start() {
    const server = process.env.MONGODB_URI ? undefined : await startMongoTestServer();
    const uri = process.env.MONGODB_URI ?? server!.uri;
    const password = decodeURIComponent(new URL(uri).password);
    const database = `sluice_it_${randomBytes(4).toString("hex")}`;
    const client = new MongoClient(uri);
    await client.connect();
    const products = client.db(database).collection<{ _id: number } & Record<string, unknown>>("products");
    await client.db(database).createCollection("products");
    const doc = (id: number, updatedAt: Date) => ({
      _id: id,
      name: `Product ${id}`,
      sku: `SKU-${String(id).padStart(4, "0")}`,
      price: Decimal128.fromString((id * 1.25).toFixed(2)),
      stock: Long.fromNumber(id * 1_000_000_000_000),
      updated_at: updatedAt,
    });
    const config = { uri, database, collection: "products", connection_timeout_seconds: 3 };
    const closed = new URL(uri);
    closed.port = String(await freePort());
    closed.hostname = "127.0.0.1";
    return {
      config,
      failures: [
        ...(password ? [{ label: "wrong password", config: { ...config, uri: withPassword(uri, "not-the-password") }, type: "authentication_failed" }] : []),
        { label: "closed port", config: { ...config, uri: closed.toString() }, type: "connection_refused" },
        { label: "unknown database", config: { ...config, database: "no_such_db_at_all" }, type: "database_not_found" },
      ],
      async seed(count, ageSeconds) {
        const at = new Date(Date.now() - ageSeconds * 1000);
        await products.insertMany(Array.from({ length: count }, (_, i) => doc(i + 1, at)));
      },
      async touch(id, name) {
        await products.updateOne({ _id: id }, { $set: { name, updated_at: new Date() } });
      },
      async insertAt(id, updatedAt) {
        await products.insertOne(doc(id, updatedAt));
      },
      queries: {
        incremental: '{"updated_at": {"$gt": ":last_pull"}}',
        full: "{}",
        // Evaluated as the cursor advances: "can't $divide by zero" at _id 150, in a getMore.
        failing: '{"$expr": {"$gt": [{"$divide": [1, {"$subtract": ["$_id", 150]}]}, -1000]}}',
      },
      failsMidStream: true,
      // 250 documents at batch_size 100: the first batch and two getMores (test server only).
      assertStreamed: server ? () => expect(server.stats.commands.getMore ?? 0).toBeGreaterThanOrEqual(2) : undefined,
      secrets: password ? [password] : [],
      async stop() {
        await client.db(database).dropDatabase().catch(() => undefined);
        await client.close();
        await server?.stop();
      },
    };
  },
});
