// The pull suite over Bolt: FalkorDB (a Bolt 5 server; no Neo4j can be installed here), or a
// real Neo4j when NEO4J_URI (and NEO4J_USER / NEO4J_PASSWORD) are set. FalkorDB has no temporal
// types over Bolt, so the graph keeps updated_at as epoch milliseconds and the query compares
// it with $last_pull_ms; that works unchanged on Neo4j.
import neo4j from "neo4j-driver";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startFalkorDb } from "../../support/servers/falkordb.js";

const external = Boolean(process.env.NEO4J_URI);

definePullSuite({
  type: "neo4j",
  async start() {
    const server = await startFalkorDb();
    const auth = server.user ? neo4j.auth.basic(server.user, server.password ?? "") : undefined;
    const driver = neo4j.driver(server.uri, auth);
    const run = async (cypher: string, params: Record<string, unknown> = {}) => {
      const session = driver.session();
      try {
        return (await session.run(cypher, params)).records;
      } finally {
        await session.close();
      }
    };
    await run("MATCH (p:Product) DELETE p");
    const credentials = server.user ? { user: server.user, password: server.password ?? "" } : {};
    const config = { uri: server.uri, ...credentials };
    const closed = `bolt://127.0.0.1:${await freePort()}`;
    const create = "CREATE (:Product {id: $id, name: 'Product ' + toString($id), sku: 'SKU-' + right('000' + toString($id), 4), price: 1.5, stock: 7, updated_at: $at})";
    return {
      config: { ...config, connection_timeout_seconds: 3 },
      failures: [
        { label: "closed port", config: { ...config, uri: closed, connection_timeout_seconds: 3 }, type: "connection_refused" },
        { label: "unknown host", config: { ...config, uri: "bolt://no-such-host.invalid:7687", connection_timeout_seconds: 3 }, type: "dns_not_found" },
        ...(server.user
          ? [
              { label: "wrong password", config: { ...config, password: "not-the-password" }, type: "authentication_failed" },
              { label: "unknown database", config: { ...config, database: "nosuchdatabase" }, type: "database_not_found" },
            ]
          : []),
      ],
      async seed(count, ageSeconds) {
        await run(
          "UNWIND range(1, $count) AS i CREATE (:Product {id: i, name: 'Product ' + toString(i), sku: 'SKU-' + right('000' + toString(i), 4), price: i * 1.25, stock: i * 1000000000000, updated_at: $at})",
          { count: neo4j.int(count), at: neo4j.int(Date.now() - ageSeconds * 1000) },
        );
      },
      async touch(id, name) {
        await run("MATCH (p:Product {id: $id}) SET p.name = $name, p.updated_at = $at", { id: neo4j.int(id), name, at: neo4j.int(Date.now()) });
      },
      async insertAt(id, updatedAt) {
        await run(create, { id: neo4j.int(id), at: neo4j.int(updatedAt.getTime()) });
      },
      queries: {
        incremental:
          "MATCH (p:Product) WHERE p.updated_at > $last_pull_ms RETURN p.id AS id, p.name AS name, p.sku AS sku, p.price AS price, p.stock AS stock, p.updated_at AS updated_at",
        full: "MATCH (p:Product) RETURN p.id AS id, p.name AS name, p.sku AS sku, p.price AS price, p.stock AS stock, p.updated_at AS updated_at ORDER BY p.id",
        failing: "UNWIND range(1, 300) AS i RETURN i AS id, 'n' + toString(i) AS name, 1 / (i - 150) AS boom",
      },
      // FalkorDB computes a whole result before sending it; Neo4j streams, and fails mid-way.
      failsMidStream: external,
      timestamps: "epoch_ms",
      secrets: server.password ? [server.password] : [],
      async stop() {
        await run("MATCH (p:Product) DELETE p").catch(() => undefined);
        await driver.close();
        await server.stop();
      },
    };
  },
});
