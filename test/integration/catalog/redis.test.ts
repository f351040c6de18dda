// The catalog suite on a real Redis-protocol server (valkey-server or redis-server, started here):
// key patterns with their type and the fields of sampled values.
import { expect } from "vitest";
import { defineCatalogSuite } from "../../support/catalogSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startRedis } from "../../support/servers/redis.js";

defineCatalogSuite({
  type: "redis",
  query: JSON.stringify({ match: "product:*", value: "hash" }),
  async start() {
    const server = await startRedis();
    const { client } = server;
    const many = (count: number, write: (i: number) => Promise<unknown>) => Promise.all(Array.from({ length: count }, (_, i) => write(i + 1)));
    return {
      config: { url: `redis://${server.user}:${server.userPassword}@${server.host}:${server.port}` },
      failure: { config: { host: server.host, port: await freePort(), password: server.password }, type: "connection_refused" },
      async create() {
        // Only some products have a price: the field is nullable.
        await many(20, (i) => client.hSet(`product:${i}`, { name: `Product ${i}`, sku: `SKU-${i}`, ...(i % 2 ? { price: "1.50" } : {}) }));
        await many(5, (i) => client.set(`order:${2026_0000 + i}`, JSON.stringify({ id: i, total: i * 10, lines: [], paid: i > 2 })));
        // Slugs without digits: three siblings make one pattern.
        await Promise.all(["red", "green", "blue"].map((colour) => client.sAdd(`colour:${colour}`, ["a", "b"])));
        await many(3, (i) => client.hSet(`user:${i}:session`, { token: `t${i}` }));
      },
      async change() {
        await client.del(["user:1:session", "user:2:session", "user:3:session"]);
        await many(2, (i) => client.hSet(`invoice:${i}`, { amount: String(i) }));
      },
      expected: [
        {
          kind: "collection",
          name: "product:*",
          schema: "hash",
          row_estimate: 20,
          columns: [
            { name: "_key", data_type: "string", nullable: false, primary_key: true },
            { name: "sku", data_type: "string", nullable: false },
            { name: "price", data_type: "string", nullable: true },
          ],
        },
        {
          kind: "collection",
          name: "order:*",
          schema: "string",
          row_estimate: 5,
          columns: [
            { name: "total", data_type: "number" },
            { name: "lines", data_type: "array" },
            { name: "paid", data_type: "boolean" },
          ],
        },
        { kind: "collection", name: "colour:*", schema: "set", row_estimate: 3, columns: [{ name: "_key", primary_key: true }] },
      ],
      gone: { kind: "collection", name: "user:*:session" },
      added: { kind: "collection", name: "invoice:*" },
      check(entries) {
        expect(entries.every((e) => e.database === "db0")).toBe(true);
        const colours = entries.find((e) => e.name === "colour:*");
        expect(colours.columns.map((c: { name: string }) => c.name)).toEqual(["_key"]);
      },
      secrets: [server.password, server.userPassword],
      stop: () => server.stop(),
    };
  },
});
