// The network guard where drivers connect on their own: Neo4j under a checked certificate (through
// the TLS bridge, so the name is never looked up again) and with routing URIs, MongoDB's
// replica-set members. The names are answered by the test's own DNS server (dns2).
import { connect, type AddressInfo } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { MongoClient } from "mongodb";
import neo4j from "neo4j-driver";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installNetworkPolicy, networkPolicy, type NetworkPolicy } from "../../lib/net/policy.js";
import { MongoSource } from "../../lib/sources/mongodb.js";
import { mongoRoute } from "../../lib/sources/mongodbRoute.js";
import { neo4jRoute } from "../../lib/sources/neo4jRoute.js";
import { startMongoTestServer, type MongoTestServer } from "../support/mongo/server.js";
import { startDns, type TestDns } from "../support/servers/dns.js";
import { startFalkorDb, type FalkorDbServer } from "../support/servers/falkordb.js";
import { freePort } from "../support/servers/net.js";
import { createTestCa, type TestCa } from "../support/servers/tlsCa.js";

const PUBLIC = "203.0.113.7"; // TEST-NET-3: public to the guard, never connected to here
let dns: TestDns;
let falkor: FalkorDbServer;
let ca: TestCa;
let mongo: MongoTestServer;
let front: TlsServer;
let frontPort: number;
const before: NetworkPolicy = networkPolicy();

beforeAll(async () => {
  [dns, falkor, ca, mongo] = await Promise.all([startDns(), startFalkorDb(), createTestCa("neo4j-bridge"), startMongoTestServer()]);
  // TLS in front of FalkorDB (which has none), with a certificate for graph.sluice.test only.
  const issued = await ca.server("graph.sluice.test", { dns: ["graph.sluice.test"] });
  const bolt = new URL(falkor.uri);
  front = createTlsServer({ cert: issued.certPem, key: issued.keyPem }, (socket) => {
    const upstream = connect(Number(bolt.port), bolt.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  frontPort = (front.address() as AddressInfo).port;
}, 300_000);

afterEach(() => installNetworkPolicy(before));

afterAll(async () => {
  await new Promise((resolve) => front?.close(resolve));
  await Promise.all([dns?.stop(), falkor?.stop(), ca?.remove(), mongo?.stop()]);
});

async function returnOne(config: Record<string, unknown>): Promise<number> {
  const route = await neo4jRoute(config, 5_000);
  const auth = falkor.user ? neo4j.auth.basic(falkor.user, falkor.password ?? "") : undefined;
  const driver = neo4j.driver(route.uri, auth, { ...route.config, connectionTimeout: 5_000, logging: { level: "error", logger: () => undefined } });
  try {
    await driver.verifyConnectivity(); // as the source does: no retries
    const result = await driver.executeQuery("RETURN 1 AS one");
    return Number(result.records[0]!.get("one"));
  } catch (error) {
    throw route.endpoint.explain(error as never);
  } finally {
    await driver.close();
    await route.close();
  }
}

describe("Neo4j under a checked certificate", () => {
  it("connects to the checked address while TLS verifies the name: the name is looked up once", async () => {
    installNetworkPolicy({ allowPrivate: true, dnsServers: [dns.server] });
    // The second answer is where a rebinding name would send a second lookup.
    dns.set("graph.sluice.test", ["127.0.0.1"], ["169.254.169.254"]);
    const route = await neo4jRoute({ uri: `neo4j+s://graph.sluice.test:${frontPort}`, ssl_ca: ca.caPem }, 5_000);
    expect(route.uri).toMatch(/^bolt:\/\/127\.0\.0\.1:\d+$/); // the bridge, direct: no routing table to follow
    expect(route.config.encrypted).toBe("ENCRYPTION_OFF");
    await route.close();
    dns.set("graph.sluice.test", ["127.0.0.1"], ["169.254.169.254"]);
    await expect(returnOne({ uri: `bolt+s://graph.sluice.test:${frontPort}`, ssl_ca: ca.caPem })).resolves.toBe(1);
    expect(dns.queries("graph.sluice.test")).toBe(1);
  });

  it("refuses a certificate for another name", async () => {
    installNetworkPolicy({ allowPrivate: true, dnsServers: [dns.server] });
    dns.set("other.sluice.test", ["127.0.0.1"]);
    await expect(returnOne({ uri: `neo4j://other.sluice.test:${frontPort}`, ssl_mode: "verify-full", ssl_ca: ca.caPem })).rejects.toMatchObject({
      type: "ssl_error",
      message: expect.stringMatching(/other\.sluice\.test/),
    });
  });

  it("reports a server the bridge cannot reach as connection_refused", async () => {
    installNetworkPolicy({ allowPrivate: true, dnsServers: [dns.server] });
    dns.set("gone.sluice.test", ["127.0.0.1"]);
    const closed = await freePort();
    await expect(returnOne({ uri: `bolt+s://gone.sluice.test:${closed}`, ssl_ca: ca.caPem })).rejects.toMatchObject({ type: "connection_refused" });
  });
});

describe("routing-table and replica-set members where private networks are refused", () => {
  it("connects a neo4j:// URI directly (bolt://), so no routing table's servers are connected to", async () => {
    installNetworkPolicy({ allowPrivate: false });
    const route = await neo4jRoute({ uri: `neo4j://${PUBLIC}:7687?region=eu` }, 5_000);
    expect(route.uri).toBe(`bolt://${PUBLIC}:7687`);
    await route.close();
    installNetworkPolicy({ allowPrivate: true });
    const local = await neo4jRoute({ uri: `neo4j://${PUBLIC}:7687?region=eu` }, 5_000);
    expect(local.uri).toBe(`neo4j://${PUBLIC}:7687?region=eu`);
    await local.close();
  });

  it("connects to a single MongoDB seed directly, so members a server announces are never connected to", async () => {
    installNetworkPolicy({ allowPrivate: false });
    await expect(mongoRoute({ uri: `mongodb://${PUBLIC}:27017/app?replicaSet=rs0` }, 5_000)).resolves.toMatchObject({ options: { directConnection: true } });
    const seeds = await mongoRoute({ uri: `mongodb://${PUBLIC}:27017,203.0.113.8:27017/app` }, 5_000);
    expect(seeds.options.directConnection).toBeUndefined();
    installNetworkPolicy({ allowPrivate: true });
    expect((await mongoRoute({ uri: `mongodb://${PUBLIC}:27017/app` }, 5_000)).options.directConnection).toBeUndefined();
  });
});

describe("MongoDB replica-set members a server announces", () => {
  it("refuses a member at the metadata address, which no lookup would have seen", async () => {
    installNetworkPolicy({ allowPrivate: true });
    const seed = new MongoClient(mongo.uri);
    await seed.db("app").collection("items").insertOne({ n: 1 });
    await seed.close();
    const source = new MongoSource({ uri: `${mongo.uri}&replicaSet=rs0`, database: "app" }, { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000 });
    mongo.announceReplicaSet("rs0", []);
    await expect(source.check()).resolves.toMatchObject({ version: expect.stringMatching(/^MongoDB /) });
    await source.close();
    mongo.announceReplicaSet("rs0", ["169.254.169.254:27017"]);
    const refused = new MongoSource({ uri: `${mongo.uri}&replicaSet=rs0`, database: "app" }, { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000 });
    await expect(refused.check()).rejects.toMatchObject({ type: "host_not_allowed", message: expect.stringContaining("169.254.169.254 is a cloud metadata address") });
    await refused.close();
  });
});
