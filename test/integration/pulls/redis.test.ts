// The pull suite on a real Redis-protocol server (Debian's valkey-server or redis-server, started
// here), then what only Redis has: the key as the default source_id, JSON strings with a bad value
// (a rejected row, not a failed run), keys of another type, RedisJSON missing, and the query checks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogOf, syncAndWait } from "../../support/catalogSuite.js";
import { startHarness, type Harness } from "../../support/harness.js";
import { definePullSuite } from "../../support/pullSuite.js";
import { freePort } from "../../support/servers/net.js";
import { startRedis, type RedisServer } from "../../support/servers/redis.js";

const HASHES = JSON.stringify({ match: "product:*", value: "hash" });

definePullSuite({
  type: "redis",
  incremental: false,
  // The rows' `id` field, so the suite's records are found by their numbers; the key is the default.
  connector: { id_column: "id" },
  async start() {
    const server = await startRedis();
    const { client } = server;
    const product = (id: number, name: string, updatedAt: Date) =>
      client.hSet(`product:${id}`, { id: String(id), name, sku: `SKU-${String(id).padStart(4, "0")}`, updated_at: updatedAt.toISOString() });
    return {
      // The ACL user, in discrete fields: its password is redacted by field name.
      config: { host: server.host, port: server.port, username: server.user, password: server.userPassword },
      failures: [
        { label: "wrong password (url)", config: { url: `redis://:not-the-password@${server.host}:${server.port}` }, type: "authentication_failed" },
        { label: "ACL user, wrong password", config: { host: server.host, port: server.port, username: server.user, password: "not-the-password" }, type: "authentication_failed" },
        { label: "no password", config: { host: server.host, port: server.port }, type: "authentication_failed" },
        { label: "closed port", config: { host: server.host, port: await freePort(), password: server.password }, type: "connection_refused" },
        { label: "database out of range", config: { url: `${server.url}/99999` }, type: "database_not_found" },
        { label: "unknown host", config: { host: "no-such-host.invalid", port: server.port, password: server.password }, type: "dns_not_found" },
      ],
      async seed(count, ageSeconds) {
        const at = new Date(Date.now() - ageSeconds * 1000);
        await Promise.all(Array.from({ length: count }, (_, i) => product(i + 1, `Product ${i + 1}`, at)));
      },
      async touch(id, name) {
        await client.hSet(`product:${id}`, { name, updated_at: new Date().toISOString() });
      },
      async insertAt(id, updatedAt) {
        await product(id, `Product ${id}`, updatedAt);
      },
      queries: {
        incremental: HASHES,
        full: HASHES,
        // No RedisJSON module on the test server: JSON.GET is an unknown command.
        failing: JSON.stringify({ match: "product:*", value: "rejson" }),
      },
      failsMidStream: false,
      secrets: [server.password, server.userPassword],
      stop: () => server.stop(),
    };
  },
});

describe("redis specifics against a real server", () => {
  let server: RedisServer;
  let h: Harness;
  let config: Record<string, unknown>;

  const create = (body: Record<string, unknown>) =>
    h.request("POST", "/api/v1/connectors", { body: { name: "redis", connector_type: "redis", collection: "kv", record_type: "item", connection_config: config, ...body } });
  const pull = async (id: string) => (await h.request("POST", `/api/v1/connectors/${id}/pull?wait=60`)).body;

  beforeAll(async () => {
    server = await startRedis();
    h = await startHarness();
    config = { url: server.url };
    const { client } = server;
    await client.hSet("item:1", { name: "One", colour: "red" });
    await client.hSet("item:2", { name: "Two", colour: "blue", _key: "a field that loses to the key" });
    await client.set("item:3", "a string, not a hash");
    await client.set("doc:1", JSON.stringify({ name: "Doc 1", tags: ["a"], size: 3 }));
    await client.set("doc:2", "{not json");
    await client.set("doc:3", "[1, 2]");
    await client.set("doc:4", JSON.stringify({ name: "Doc 4", nested: { deep: true } }));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it("stores each hash under its key by default, and a key of another type is a rejected row", async () => {
    const created = await create({ query: JSON.stringify({ match: "item:*", value: "hash" }), batch_size: 2 });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id_column: "_key", connection_config: { url: expect.stringContaining(":***REDACTED***@") } });
    const run = await pull(created.body.id);
    expect(run).toMatchObject({ status: "completed", records_pulled: 3, records_uploaded: 2, records_rejected: 1 });
    const one = await h.request("GET", "/api/v1/records/kv/item/item%3A1");
    expect(one.body).toMatchObject({ source_id: "item:1", name: "One", vertical_data: { colour: "red" } });
    expect((await h.request("GET", "/api/v1/records/kv/item/item%3A2")).body.source_id).toBe("item:2");
    const errors = (await h.request("GET", `/api/v1/ingestions/${run.run_id}/errors`)).body.items;
    expect(errors.map((e: any) => e.error)).toEqual([expect.stringMatching(/key "item:3" holds another type than a hash/)]);
  });

  it("reads JSON strings; a value that is not a JSON object is a rejected row and the run completes", async () => {
    const created = await create({ collection: "docs", query: JSON.stringify({ match: "doc:*", value: "json_string" }) });
    const run = await pull(created.body.id);
    expect(run).toMatchObject({ status: "completed", records_pulled: 4, records_uploaded: 2, records_rejected: 2 });
    const doc = await h.request("GET", "/api/v1/records/docs/item/doc%3A4");
    expect(doc.body).toMatchObject({ source_id: "doc:4", name: "Doc 4", vertical_data: { nested: { deep: true } } });
    const errors = (await h.request("GET", `/api/v1/ingestions/${run.run_id}/errors`)).body.items.map((e: any) => e.error).sort();
    expect(errors).toEqual([expect.stringMatching(/^key "doc:2": the value is not valid JSON/), expect.stringMatching(/^key "doc:3": the value is JSON but not an object/)]);
    expect((await h.request("GET", `/api/v1/connectors/${created.body.id}`)).body).toMatchObject({ status: "active", last_error: null });
    // Nothing changed: the whole read again, every stored record a duplicate.
    expect(await pull(created.body.id)).toMatchObject({ status: "completed", records_pulled: 4, records_uploaded: 0, duplicates_skipped: 2, records_rejected: 2 });
  });

  it("fails a rejson pull on a server without RedisJSON with a typed error that says what to do", async () => {
    const created = await create({ query: JSON.stringify({ match: "doc:*", value: "rejson" }) });
    const run = await pull(created.body.id);
    expect(run).toMatchObject({ status: "failed", error: { type: "query_error", code: "module_missing", message: expect.stringMatching(/no RedisJSON module.*"value": "json_string"/) } });
  });

  it("a bad query is a 400 naming the query, on create and on update, and changes nothing", async () => {
    const bad = [
      ["{not json", /query must be a JSON document/],
      ['{"match": "item:*", "value": "list"}', /query\.value/],
      ['{"value": "hash"}', /query\.match/],
      ['{"match": "item:*", "value": "hash", "count": 5}', /unknown fields \(count\)/],
      ['{"match": "item:*", "value": "hash", "since": ":last_pull"}', /cannot use :last_pull: SCAN has no notion of change/],
      ['["item:*"]', /must be a JSON object/],
    ] as const;
    for (const [query, message] of bad) {
      const response = await create({ query });
      expect(response.status, query).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field: "query", message: expect.stringMatching(message) });
    }
    const created = await create({ query: HASHES });
    const patched = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { body: { query: '{"match": "x:*", "value": "set"}' } });
    expect(patched.status).toBe(400);
    expect(patched.body.field).toBe("query");
    expect((await h.request("GET", `/api/v1/connectors/${created.body.id}`)).body.query).toBe(HASHES);
  });

  it("the connection test reports the server, its version and the key space", async () => {
    const created = await create({ query: HASHES });
    const response = await h.request("POST", `/api/v1/connectors/${created.body.id}/test`);
    expect(response.body).toMatchObject({ status: "success", details: { version: expect.stringMatching(/^(Valkey|Redis) \d+\.\d+.* \(standalone\), 7 keys in db0$/), schemas_available: ["db0"] } });
  });

  it("a user that may only read can test, pull and discover; the test then says less", async () => {
    config = { host: server.host, port: server.port, username: server.reader, password: server.userPassword };
    const created = await create({ collection: "reader", query: JSON.stringify({ match: "item:*", value: "hash" }) });
    const tested = await h.request("POST", `/api/v1/connectors/${created.body.id}/test`);
    expect(tested.body).toMatchObject({ status: "success", details: { version: "Redis-protocol server (INFO not permitted), 7 keys in db0", server_time: null, schemas_available: ["db0"] } });
    expect(await pull(created.body.id)).toMatchObject({ status: "completed", records_uploaded: 2, records_rejected: 1 });
    const sync = await syncAndWait(h, created.body.id);
    expect(sync).toMatchObject({ status: "completed", products_created: 3 });
    // item:3 is a string among hashes: an entry per type.
    expect((await catalogOf(h, created.body.id)).map((e: any) => `${e.schema} ${e.name}`).sort()).toEqual(["hash item:*", "string doc:*", "string item:*"]);
    config = { url: server.url };
  });

  it("goes through the network guard: the metadata address is refused before any connection", async () => {
    config = { url: `redis://:${server.password}@169.254.169.254:6379` };
    const created = await create({ query: HASHES });
    config = { url: server.url };
    const tested = await h.request("POST", `/api/v1/connectors/${created.body.id}/test`);
    expect(tested.status).toBe(400);
    expect(tested.body).toMatchObject({ error: "host_not_allowed", details: { host: "169.254.169.254" } });
  });

  it("is listed in the connector types, with its config schema", async () => {
    const types = (await h.request("GET", "/api/v1/connector-types")).body;
    const redis = types.items.find((t: any) => t.type === "redis");
    expect(redis).toMatchObject({ name: "Redis / Valkey", category: "database" });
    expect(Object.keys(redis.config_schema.properties)).toEqual(expect.arrayContaining(["url", "host", "port", "username", "password", "database", "tls"]));
  });

  it("no password appears in any response or log line", () => {
    const everything = [...h.responses, ...h.logs];
    expect(everything.length).toBeGreaterThan(10);
    for (const secret of [server.password, server.userPassword]) expect(everything.filter((line) => line.includes(secret))).toEqual([]);
  });
});

describe("redis over TLS against a real server", () => {
  let server: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    server = await startRedis({ tls: true });
    h = await startHarness();
    await server.client.hSet("secure:1", { name: "Secure one" });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  const test = async (connection_config: Record<string, unknown>) => {
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: "tls", connector_type: "redis", collection: "tls", record_type: "item", connection_config, query: JSON.stringify({ match: "secure:*", value: "hash" }) },
    });
    expect(created.status, created.text).toBe(201);
    return { id: created.body.id as string, result: (await h.request("POST", `/api/v1/connectors/${created.body.id}/test`)).body };
  };

  it("verifies the server against ssl_ca and pulls; without the CA the certificate is refused", async () => {
    const fields = { host: server.host, port: server.port, password: server.password };
    const trusted = await test({ ...fields, tls: true, ssl_ca: server.ca });
    expect(trusted.result).toMatchObject({ status: "success" });
    expect((await h.request("POST", `/api/v1/connectors/${trusted.id}/pull?wait=60`)).body).toMatchObject({ status: "completed", records_uploaded: 1 });
    // rediss:// turns TLS on as well; ssl_ca alone too.
    expect((await test({ url: server.url, ssl_ca: server.ca })).result).toMatchObject({ status: "success" });
    expect((await test({ ...fields, ssl_ca: server.ca })).result).toMatchObject({ status: "success" });
    expect((await test({ ...fields, tls: true })).result).toMatchObject({ status: "failed", error: { type: "ssl_error" } });
  });
});
