// The real servers the source tests run against: each starts from the test setup, serves its
// own driver, refuses a wrong password where it has passwords, listens where expected, and is
// gone after stop(). The FalkorDB part also records which Cypher the Neo4j source can rely on.
import { existsSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import mysql from "mysql2/promise";
import neo4j, { type Driver, type Node, type Relationship } from "neo4j-driver";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFalkorDb, type FalkorDbServer } from "../support/servers/falkordb.js";
import { startMariaDb } from "../support/servers/mariadb.js";
import { isPortOpen, listeningAddresses, LOOPBACK_HEX, tcpListeners } from "../support/servers/net.js";
import { startPostgres } from "../support/servers/postgres.js";

/** Starts `start` once for the describe block, logging how long it took. */
function started<T extends { stop(): Promise<void> }>(name: string, start: () => Promise<T>): () => T {
  let server: T | undefined;
  beforeAll(async () => {
    const begin = performance.now();
    server = await start();
    console.info(`${name} started in ${Math.round(performance.now() - begin)} ms`);
  });
  afterAll(() => server?.stop());
  return () => server!;
}

async function expectLoopbackOnly(port: number) {
  const addresses = await listeningAddresses(port);
  expect(addresses.length).toBeGreaterThan(0);
  expect(addresses).toEqual(addresses.map(() => ({ table: "tcp", address: LOOPBACK_HEX })));
}

/** This process and every process below it. */
async function processTree(): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [process.pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** The TCP listeners in this network namespace that this process or one below it holds open. */
async function ownListeners() {
  const inodes = new Set<string>();
  for (const pid of await processTree()) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    }
  }
  return (await tcpListeners()).filter((listener) => inodes.has(listener.inode));
}

async function expectLoopbackUntilStopped(server: { port: number; stop(): Promise<void> }) {
  await expectLoopbackOnly(server.port);
  await server.stop();
  expect(await isPortOpen(server.port)).toBe(false);
}

describe("PostgreSQL", () => {
  const server = started("PostgreSQL", startPostgres);
  const external = Boolean(process.env.POSTGRES_URL);

  it("stores and returns rows over pg", async () => {
    const client = new pg.Client({ connectionString: server().url });
    await client.connect();
    try {
      await client.query("CREATE TABLE products (id bigint PRIMARY KEY, name text, updated_at timestamptz)");
      await client.query("INSERT INTO products VALUES (1, 'ä-widget', '2024-01-02T03:04:05Z'), (2, 'gadget', now())");
      const { rows } = await client.query("SELECT id, name FROM products ORDER BY id");
      expect(rows).toEqual([
        { id: "1", name: "ä-widget" },
        { id: "2", name: "gadget" },
      ]);
    } finally {
      await client.end();
    }
  });

  it("refuses a wrong password (28P01)", async () => {
    const { host, port, user, database } = server();
    const client = new pg.Client({ host, port, user, database, password: "wrong" });
    await expect(client.connect()).rejects.toMatchObject({ code: "28P01" });
  });

  it.runIf(!external)("listens on 127.0.0.1 only, and not after stop()", () => expectLoopbackUntilStopped(server()));
});

describe("MariaDB", () => {
  const server = started("MariaDB", startMariaDb);
  const external = Boolean(process.env.MYSQL_URL);

  it("stores and returns rows over mysql2", async () => {
    const connection = await mysql.createConnection(server().url);
    try {
      await connection.query("CREATE TABLE products (id BIGINT PRIMARY KEY, name VARCHAR(50), updated_at DATETIME)");
      await connection.query("INSERT INTO products VALUES (1, 'ä-widget', '2024-01-02 03:04:05'), (2, 'gadget', NOW())");
      const [rows] = await connection.query("SELECT id, name FROM products ORDER BY id");
      expect(rows).toEqual([
        { id: 1, name: "ä-widget" },
        { id: 2, name: "gadget" },
      ]);
    } finally {
      await connection.end();
    }
  });

  it("refuses a wrong password (ER_ACCESS_DENIED_ERROR)", async () => {
    const { host, port, user, database } = server();
    await expect(mysql.createConnection({ host, port, user, database, password: "wrong" })).rejects.toMatchObject({
      code: "ER_ACCESS_DENIED_ERROR",
    });
  });

  it.runIf(!external)("listens on 127.0.0.1 only, and not after stop()", () => expectLoopbackUntilStopped(server()));
});

describe("FalkorDB over Bolt", () => {
  const server = started("FalkorDB", startFalkorDb);
  const external = Boolean(process.env.NEO4J_URI);
  let driver: Driver;
  const portOf = (uri: string) => Number(new URL(uri).port);
  // Tokenless: FalkorDB checks no password, and neo4j.auth.none() hangs its handshake.
  const connect = (s: FalkorDbServer) =>
    neo4j.driver(s.uri, s.user ? neo4j.auth.basic(s.user, s.password ?? "") : undefined);
  const run = async (cypher: string, params: Record<string, unknown> = {}) => {
    const session = driver.session();
    try {
      return (await session.run(cypher, params)).records.map((record) => record.toObject());
    } finally {
      await session.close();
    }
  };

  beforeAll(async () => {
    driver = connect(server());
    await run("MATCH (n) DETACH DELETE n");
    await run("CREATE (:Product {name: 'a', updated_at: 100})");
    await run("CREATE (:Product {name: 'b', updated_at: 200})-[:SIMILAR {weight: 1}]->(:Product {name: 'c', updated_at: 300})");
  });
  afterAll(() => driver?.close());

  it("answers MATCH … WHERE p.updated_at > $last_pull RETURN p with nodes", async () => {
    const rows = await run("MATCH (p:Product) WHERE p.updated_at > $last_pull RETURN p ORDER BY p.updated_at", {
      last_pull: neo4j.int(150),
    });
    const nodes = rows.map((row) => row.p as Node);
    expect(nodes.every((node) => neo4j.isNode(node))).toBe(true);
    expect(nodes.map((node) => [node.labels, node.properties.name, node.properties.updated_at.toNumber()])).toEqual([
      [["Product"], "b", 200],
      [["Product"], "c", 300],
    ]);
  });

  it("returns relationships and paths", async () => {
    const [row] = await run("MATCH (a)-[r:SIMILAR]->(b) RETURN a, r, b");
    const rel = row!.r as Relationship;
    expect(neo4j.isRelationship(rel)).toBe(true);
    expect([rel.type, rel.properties.weight.toNumber(), rel.startNodeElementId]).toEqual([
      "SIMILAR",
      1,
      (row!.a as Node).elementId,
    ]);
    const [path] = await run("MATCH p = (:Product)-[:SIMILAR]->(:Product) RETURN p");
    expect(neo4j.isPath(path!.p)).toBe(true);
  });

  it("keeps integers above 2^53 exact, as literals and as parameters", async () => {
    const big = "9007199254740993";
    const [row] = await run(`CREATE (n:Big {v: $v}) RETURN n.v AS v, n.v = ${big} AS same, 9223372036854775807 AS max`, {
      v: neo4j.int(big),
    });
    expect([row!.v.toString(), row!.same, row!.max.toString()]).toEqual([big, true, "9223372036854775807"]);
    await run("MATCH (n:Big) DELETE n");
  });

  it("lists labels, relationship types and property keys", async () => {
    const labels = (await run("CALL db.labels() YIELD label RETURN label ORDER BY label")).map((row) => row.label);
    expect(labels).toContain("Product");
    expect(await run("CALL db.relationshipTypes()")).toEqual([{ relationshipType: "SIMILAR" }]);
    const keys = (await run("CALL db.propertyKeys()")).map((row) => row.propertyKey);
    expect(keys).toEqual(expect.arrayContaining(["name", "updated_at", "weight"]));
  });

  it("orders and pages, with literal and parameter SKIP/LIMIT", async () => {
    const names = async (cypher: string, params = {}) => (await run(cypher, params)).map((row) => row.n);
    expect(await names("MATCH (p:Product) RETURN p.name AS n ORDER BY p.name DESC")).toEqual(["c", "b", "a"]);
    expect(await names("MATCH (p:Product) RETURN p.name AS n ORDER BY p.name SKIP 1 LIMIT 1")).toEqual(["b"]);
    expect(
      await names("MATCH (p:Product) RETURN p.name AS n ORDER BY p.name SKIP $s LIMIT $l", {
        s: neo4j.int(2),
        l: neo4j.int(5),
      }),
    ).toEqual(["c"]);
  });

  // From here on: what FalkorDB does differently from Neo4j, recorded for the Neo4j source.
  it.runIf(!external)("names elements node_<id> / relationship_<id>, and has no elementId()", async () => {
    const [row] = await run("MATCH (a)-[r:SIMILAR]->() RETURN a, r");
    expect([(row!.a as Node).elementId, (row!.r as Relationship).elementId]).toEqual([
      expect.stringMatching(/^node_\d+$/),
      expect.stringMatching(/^relationship_\d+$/),
    ]);
    await expect(run("MATCH (n) RETURN elementId(n) AS id")).rejects.toThrow(/Unknown function 'elementId'/);
  });

  it.runIf(!external)("has no datetime(); localdatetime()/date() compare, but only leave as strings or timestamp()", async () => {
    await expect(run("RETURN datetime() AS d")).rejects.toThrow(/Unknown function 'datetime'/);
    const [row] = await run(
      "CREATE (n:Event {at: localdatetime('2024-01-02T03:04:05')}) " +
        "RETURN toString(n.at) AS at, n.at > localdatetime('2024-01-01T00:00:00') AS later, timestamp() AS now",
    );
    expect([row!.at, row!.later, neo4j.isInt(row!.now)]).toEqual(["2024-01-02T03:04:05", true, true]);
    // A temporal parameter is refused: Bolt parameters are turned into query text (below).
    const at = neo4j.types.DateTime.fromStandardDate(new Date("2024-01-02T03:04:05Z"));
    await expect(run("RETURN $at AS at", { at })).rejects.toThrow(/Invalid input/);
    await run("MATCH (n:Event) DELETE n");
  });

  it.runIf(!external)("splices parameters into the query text: quotes break it, floats keep 6 decimals", async () => {
    await expect(run("RETURN $s AS s", { s: "O'Brien" })).rejects.toThrow(/Invalid input/);
    expect(await run("RETURN $s AS s", { s: 'say "hi"' })).toEqual([{ s: 'say "hi"' }]);
    expect(await run("RETURN $f AS f", { f: 0.1234567891 })).toEqual([{ f: 0.123457 }]);
  });

  it.runIf(!external)("treats transactions as no-ops: a rollback keeps the writes", async () => {
    const session = driver.session();
    try {
      const tx = await session.beginTransaction();
      await tx.run("CREATE (:Scratch)");
      await tx.rollback();
    } finally {
      await session.close();
    }
    expect(await run("MATCH (n:Scratch) DELETE n RETURN count(n) AS c")).toEqual([{ c: neo4j.int(1) }]);
  });

  it("serves driver after driver (each closed with GOODBYE)", async () => {
    for (let i = 0; i < 3; i++) {
      const another = connect(server());
      try {
        const { records } = await another.executeQuery("RETURN $i AS i", { i: neo4j.int(i) });
        expect(records[0]!.get("i").toNumber()).toBe(i);
      } finally {
        await another.close();
      }
    }
  });

  it.runIf(!external)("serves clients on 127.0.0.1 only, FalkorDB itself only in its own network namespace; neither after stop()", async () => {
    const { uri, boltPort, namespacePid } = server();
    await expectLoopbackOnly(portOf(uri));
    // FalkorDB binds Bolt to in6addr_any (dual stack) and cannot be told otherwise (see falkordb.ts):
    // that listener is there in the server's namespace, and its port is not open here at all.
    expect(await listeningAddresses(boltPort!, namespacePid)).toEqual([{ table: "tcp6", address: "0".repeat(32) }]);
    expect(await listeningAddresses(boltPort!)).toEqual([]);
    // Nothing this test process started listens here on anything but 127.0.0.1.
    const own = await ownListeners();
    expect(own.map((listener) => listener.port)).toContain(portOf(uri));
    expect(own.filter((listener) => listener.table !== "tcp" || listener.address !== LOOPBACK_HEX)).toEqual([]);
    await driver.close();
    await server().stop();
    expect(await isPortOpen(portOf(uri))).toBe(false);
    expect(existsSync(`/proc/${namespacePid}`)).toBe(false);
  });

  it.runIf(!external)("dies when a query returns a temporal value", async () => {
    const doomed = await startFalkorDb();
    const doomedDriver = connect(doomed);
    const session = doomedDriver.session();
    try {
      // session.run, not executeQuery, which would retry for 30 s.
      await expect(session.run("RETURN date('2024-01-02') AS d")).rejects.toMatchObject({ code: "ServiceUnavailable" });
      // The bridge in its namespace exits with the server.
      await vi.waitFor(() => expect(existsSync(`/proc/${doomed.namespacePid}`)).toBe(false), { timeout: 5_000 });
    } finally {
      await session.close().catch(() => undefined);
      await doomedDriver.close();
      await doomed.stop();
    }
  });
});
