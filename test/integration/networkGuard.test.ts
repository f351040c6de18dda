// The network guard against names the test's own resolver (dns2, DNS_SERVERS) answers: metadata,
// link-local, private, loopback and public addresses, a name answering public then private, and
// one that answers differently the second time (DNS rebinding). Refused hosts answer 400
// host_not_allowed on create with test_connection and on test, and fail a pull with that type.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { startDns, type TestDns } from "../support/servers/dns.js";
import type { SqlServer } from "../support/servers/net.js";
import { startPostgres } from "../support/servers/postgres.js";

const PUBLIC = "203.0.113.10"; // TEST-NET-3: public as far as the policy goes, and never answers
let dns: TestDns;
let postgres: SqlServer;
let api: Server;
let apiPort: number;

beforeAll(async () => {
  [dns, postgres] = await Promise.all([startDns(), startPostgres()]);
  dns.set("metadata.sluice.test", ["169.254.169.254"]);
  dns.set("linklocal.sluice.test", ["169.254.10.20"]);
  dns.set("v6metadata.sluice.test", ["fd00:ec2::254"]);
  dns.set("private.sluice.test", ["10.1.2.3"]);
  dns.set("loopback.sluice.test", ["127.0.0.1"]);
  dns.set("public.sluice.test", [PUBLIC]);
  dns.set("mixed.sluice.test", [PUBLIC, "10.1.2.3"]);
  dns.set("mixed-metadata.sluice.test", [PUBLIC, "169.254.169.254"]);
  api = createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end('{"items": []}'));
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiPort = (api.address() as AddressInfo).port;
}, 300_000);

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await Promise.all([dns?.stop(), postgres?.stop()]);
});

const pgFields = (host: string) => ({ host, port: postgres.port, database: postgres.database, user: postgres.user, password: postgres.password, connection_timeout_seconds: 2 });

function guarded(env: Record<string, string>) {
  const state = { h: undefined as unknown as Harness };
  beforeAll(async () => {
    state.h = await startHarness({ DNS_SERVERS: dns.server, ...env });
  });
  afterAll(async () => {
    for (const text of [...state.h.responses, ...state.h.logs]) expect(text).not.toContain(postgres.password);
    await state.h?.close();
  });
  const create = (connector_type: string, connection_config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    state.h.request("POST", "/api/v1/connectors", { body: { name: `guard ${connector_type}`, connector_type, connection_config, ...extra } });
  /** Create with test_connection must answer 400 host_not_allowed and store nothing. */
  const refusedOnCreate = async (connector_type: string, connection_config: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const before = (await state.h.request("GET", "/api/v1/connectors")).body.items.length;
    const response = await create(connector_type, connection_config, { test_connection: true, ...extra });
    expect(response.status, response.text).toBe(400);
    expect(response.body.error).toBe("host_not_allowed");
    expect((await state.h.request("GET", "/api/v1/connectors")).body.items.length).toBe(before);
    return response.body;
  };
  const testOf = async (connector_type: string, connection_config: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const created = await create(connector_type, connection_config, extra);
    expect(created.status, created.text).toBe(201);
    return { id: created.body.id as string, tested: await state.h.request("POST", `/api/v1/connectors/${created.body.id}/test`) };
  };
  return { state, create, refusedOnCreate, testOf };
}

describe("local runtime (private networks allowed by default)", () => {
  const { state, refusedOnCreate, testOf, create } = guarded({});

  it.each([
    ["a name resolving to the metadata service", "metadata.sluice.test"],
    ["a name resolving to link-local", "linklocal.sluice.test"],
    ["a name resolving to IPv6 metadata fd00:ec2::254", "v6metadata.sluice.test"],
    ["a name answering public first, metadata second", "mixed-metadata.sluice.test"],
    ["the metadata IP itself", "169.254.169.254"],
    ["metadata as v4-mapped IPv6", "::ffff:169.254.169.254"],
  ])("refuses %s: 400 host_not_allowed on create", async (_label, host) => {
    const body = await refusedOnCreate("postgresql", pgFields(host));
    expect(body.message).toMatch(/cloud metadata|link-local/);
    expect(body.message).not.toContain(postgres.password);
  });

  it("guards hosts in DSNs and URIs of every database type", async () => {
    await refusedOnCreate("postgresql", { dsn: `postgresql://u:${postgres.password}@metadata.sluice.test:5432/db` });
    // pg reads a host query parameter over the authority: it is the host that is guarded.
    await refusedOnCreate("postgresql", { dsn: `postgresql://u:${postgres.password}@loopback.sluice.test:${postgres.port}/db?host=169.254.169.254` });
    await refusedOnCreate("mysql", { dsn: `mysql://u:${postgres.password}@metadata.sluice.test:3306/db` });
    await refusedOnCreate("mysql", { host: "169.254.169.254", database: "db", user: "u", password: postgres.password });
    await refusedOnCreate("mongodb", { uri: `mongodb://u:${postgres.password}@127.0.0.1:27017,metadata.sluice.test:27017/db`, database: "db" });
    await refusedOnCreate("neo4j", { uri: "bolt://metadata.sluice.test:7687", user: "neo4j", password: postgres.password });
  });

  it("answers 400 host_not_allowed on test, and fails a pull with that error type", async () => {
    const { id, tested } = await testOf("postgresql", pgFields("metadata.sluice.test"), { collection: "guard", record_type: "row", query: "SELECT 1 AS id" });
    expect(tested.status).toBe(400);
    expect(tested.body.error).toBe("host_not_allowed");
    const pulled = await state.h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`);
    expect(pulled.body).toMatchObject({ status: "failed", error: { type: "host_not_allowed" } });
  });

  it("connects to loopback and private names here, where databases usually are", async () => {
    const { tested } = await testOf("postgresql", pgFields("loopback.sluice.test"));
    expect(tested.body.status).toBe("success");
    const privateName = await testOf("postgresql", pgFields("private.sluice.test"));
    expect(privateName.tested.status).toBe(200);
    expect(privateName.tested.body.error.type).not.toBe("host_not_allowed");
  });

  it("resolves once and connects to the checked address: a rebinding name cannot switch to metadata", async () => {
    dns.set("rebind.sluice.test", ["127.0.0.1"], ["169.254.169.254"]);
    const created = await create("postgresql", pgFields("rebind.sluice.test"), { test_connection: true, collection: "guard", record_type: "row", query: "SELECT 1 AS id, 'one' AS name" });
    expect(created.status, created.text).toBe(201);
    // One lookup for the whole test connection: the driver was handed the checked address.
    expect(dns.queries("rebind.sluice.test")).toBe(1);
    // The next operation resolves anew, gets the metadata address, and is refused.
    const pulled = await state.h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=30`);
    expect(pulled.body).toMatchObject({ status: "failed", error: { type: "host_not_allowed" } });
  });

  it("guards REST base URLs and OAuth token endpoints", async () => {
    const rest = (base_url: string, extra: Record<string, unknown> = {}) => ({ base_url, timeout_seconds: 2, ...extra });
    await refusedOnCreate("rest_api", rest("http://metadata.sluice.test/v1"));
    await refusedOnCreate("rest_api", rest("http://[fd00:ec2::254]/v1"));
    const oauth = { auth_type: "oauth2", token_url: "http://metadata.sluice.test/token", client_id: "id", client_secret: "client-secret-value" };
    const refused = await refusedOnCreate("rest_api", rest(`http://loopback.sluice.test:${apiPort}`, oauth));
    expect(JSON.stringify(refused)).not.toContain("client-secret-value");
    const { tested } = await testOf("rest_api", rest(`http://loopback.sluice.test:${apiPort}`), { query: JSON.stringify({ path: "/items" }) });
    expect(tested.body.status).toBe("success");
  });
});

describe("ALLOW_PRIVATE_NETWORKS=false (AWS's default)", () => {
  const { refusedOnCreate, testOf } = guarded({ ALLOW_PRIVATE_NETWORKS: "false" });

  it.each([
    ["a name resolving to 10.x", "private.sluice.test", "private"],
    ["a name resolving to 127.0.0.1", "loopback.sluice.test", "loopback"],
    ["a name answering public first, private second", "mixed.sluice.test", "private"],
    ["loopback as v4-mapped IPv6", "::ffff:127.0.0.1", "loopback"],
  ])("refuses %s", async (_label, host, range) => {
    const body = await refusedOnCreate("postgresql", pgFields(host));
    expect(body.details).toMatchObject({ range });
    expect(body.message).toContain("ALLOW_PRIVATE_NETWORKS=true");
  });

  it("lets a public address through the guard (the connection itself then fails: nothing answers there)", async () => {
    const { tested } = await testOf("postgresql", pgFields("public.sluice.test"));
    expect(tested.status).toBe(200);
    expect(tested.body.status).toBe("failed");
    expect(tested.body.error.type).not.toBe("host_not_allowed");
  });

  it("refuses the REST API on loopback too", async () => {
    await refusedOnCreate("rest_api", { base_url: `http://loopback.sluice.test:${apiPort}` });
  });
});
