// The catalog suite over Bolt: FalkorDB, or a real Neo4j when NEO4J_URI is set. Labels and
// relationship types come from db.labels() / db.relationshipTypes(), which both serve.
import neo4j from "neo4j-driver";
import { expect } from "vitest";
import { defineCatalogSuite } from "../../support/catalogSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startFalkorDb } from "../../support/servers/falkordb.js";

defineCatalogSuite({
  type: "neo4j",
  async start() {
    const server = await startFalkorDb();
    const driver = neo4j.driver(server.uri, server.user ? neo4j.auth.basic(server.user, server.password ?? "") : undefined);
    const run = async (cypher: string) => {
      const session = driver.session();
      try {
        await session.run(cypher);
      } finally {
        await session.close();
      }
    };
    await run("MATCH (n) DETACH DELETE n");
    const credentials = server.user ? { user: server.user, password: server.password ?? "" } : {};
    return {
      config: { uri: server.uri, ...credentials, connection_timeout_seconds: 3 },
      failure: { config: { uri: `bolt://127.0.0.1:${await freePort()}`, ...credentials, connection_timeout_seconds: 3 }, type: "connection_refused" },
      async create() {
        await run(
          "UNWIND range(1, 4) AS i CREATE (:Product {id: i, name: 'P' + toString(i), price: i * 1.5})-[:MADE_BY {since: 2020 + i}]->(:Supplier {name: 'S' + toString(i)})",
        );
        await run("CREATE (:Product {id: 5, name: 'P5', tags: ['x']})");
        await run("CREATE (:Legacy {code: 'L1'})");
      },
      async change() {
        await run("MATCH (n:Legacy) DELETE n");
        await run("CREATE (:Fresh {code: 'F1'})");
      },
      expected: [
        {
          kind: "label",
          name: "Product",
          row_estimate: 5,
          columns: [
            { name: "id", data_type: "integer", nullable: false },
            { name: "name", data_type: "string", nullable: false },
            { name: "price", data_type: "float", nullable: true },
            { name: "tags", data_type: "list", nullable: true },
          ],
        },
        { kind: "label", name: "Supplier", row_estimate: 4, columns: [{ name: "name", data_type: "string", nullable: false }] },
        { kind: "relationship", name: "MADE_BY", row_estimate: 4, columns: [{ name: "since", data_type: "integer", nullable: false }] },
      ],
      gone: { kind: "label", name: "Legacy" },
      added: { kind: "label", name: "Fresh" },
      check(entries) {
        expect(entries.filter((e) => e.kind === "relationship").map((e) => e.name)).toEqual(["MADE_BY"]);
      },
      secrets: server.password ? [server.password] : [],
      async stop() {
        await run("MATCH (n) DETACH DELETE n").catch(() => undefined);
        await driver.close();
        await server.stop();
      },
    };
  },
});
