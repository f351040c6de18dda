// The connectors API over real HTTP against the local service (dynalite): CRUD with the seed
// payloads, redaction, PATCH keep/replace, validation, auth, roles and tenant isolation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../lib/connectors/redaction.js";
import { secrets, seeds, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function keyFor(tenant: string, role: "viewer" | "editor" | "owner"): Promise<string> {
  return (await h.service.services.apiKeys.create({ tenant, role })).key;
}

describe("connector CRUD with the seed payloads", () => {
  it.each(Object.entries(seeds))("creates, reads and lists %s with every secret redacted", async (_name, seed) => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seed });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^conn_[0-9a-z]{26}$/);
    expect(created.body).toMatchObject({ name: seed.name, connector_type: seed.connector_type, status: "active" });
    for (const secret of Object.values(secrets)) expect(created.text).not.toContain(secret);

    const read = await h.request("GET", `/api/v1/connectors/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const list = await h.request("GET", `/api/v1/connectors?type=${seed.connector_type}&include_available=false`);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(created.body.id);
    expect(list.body.available_types).toBeUndefined();
  });

  it("redacts the DSN password and shows the rest of the config", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.postgres });
    expect(created.body.connection_config).toEqual({ dsn: `postgresql://user:${REDACTED}@db.internal:5432/products` });
    expect(created.body.batch_size).toBe(5000);
    expect(created.body.id_column).toBe("id");
    const querri = await h.request("POST", "/api/v1/connectors", { body: seeds.querriPostgres });
    expect(querri.body.connection_config).toEqual({ ...seeds.querriPostgres.connection_config, password: REDACTED });
    expect(querri.body).toMatchObject({ schedule: "0 2 * * *", timezone: "Europe/Berlin" });
    const mongo = await h.request("POST", "/api/v1/connectors", { body: seeds.mongodb });
    expect(mongo.body.connection_config.uri).toBe(`mongodb://user:${REDACTED}@mongo.internal:27017`);
  });

  it("lists with filters, available types and cursor pagination", async () => {
    const tenant = "paging";
    const key = await keyFor(tenant, "editor");
    for (let i = 0; i < 5; i++) {
      const seed = i % 2 === 0 ? seeds.postgres : seeds.mysql;
      expect((await h.request("POST", "/api/v1/connectors", { key, body: { ...seed, name: `c${i}` } })).status).toBe(201);
    }
    const all = await h.request("GET", "/api/v1/connectors", { key });
    expect(all.body.items).toHaveLength(5);
    expect(all.body.available_types.map((t: { type: string }) => t.type)).toEqual(["postgresql", "mysql", "mongodb", "neo4j", "rest_api", "redis", "redshift", "dbt"]);
    expect(all.body.total_available).toBe(8);

    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=2&type=postgresql&include_available=false${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await h.request("GET", `/api/v1/connectors?${query}`, { key });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      names.push(...page.body.items.map((c: { name: string }) => c.name));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(names.sort()).toEqual(["c0", "c2", "c4"]);

    const active = await h.request("GET", "/api/v1/connectors?status=active&include_available=false", { key });
    expect(active.body.items).toHaveLength(5);
    const errored = await h.request("GET", "/api/v1/connectors?status=error&include_available=false", { key });
    expect(errored.body.items).toHaveLength(0);
  });

  it("rejects bad list parameters and foreign cursors", async () => {
    for (const [query, field] of [
      ["type=oracle", "type"],
      ["status=sleeping", "status"],
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["include_available=maybe", "include_available"],
      ["cursor=not-a-cursor", "cursor"],
      [`cursor=${Buffer.from(JSON.stringify({ pk: "TENANT#other", sk: "CONNECTOR#x" })).toString("base64url")}`, "cursor"],
      // The caller's own partition, but not a key this list hands out: DynamoDB would refuse it.
      [`cursor=${Buffer.from(JSON.stringify({ pk: "TENANT#default" })).toString("base64url")}`, "cursor"],
      [`cursor=${Buffer.from(JSON.stringify({ pk: "TENANT#default", sk: "RUN#x" })).toString("base64url")}`, "cursor"],
    ]) {
      const response = await h.request("GET", `/api/v1/connectors?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field });
    }
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.postgres });
    const runsKey = `TENANT#default#RUNS#${created.body.id}`;
    for (const key of [{ gsi1pk: runsKey }, { gsi1pk: runsKey, gsi1sk: "x", pk: "TENANT#default", sk: "CONNECTOR#x" }]) {
      const cursor = Buffer.from(JSON.stringify(key)).toString("base64url");
      const response = await h.request("GET", `/api/v1/connectors/${created.body.id}/runs?cursor=${cursor}`);
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field: "cursor" });
    }
  });

  it("answers 404, not a store error, for an id no resource can have", async () => {
    for (const id of ["x".repeat(3000), "conn_%F0%9F%92%A9", "conn_a.b"]) {
      for (const [method, route] of [
        ["GET", `/connectors/${id}`],
        ["PATCH", `/connectors/${id}`],
        ["DELETE", `/connectors/${id}`],
        ["POST", `/connectors/${id}/pull`],
        ["POST", `/connectors/${id}/test`],
        ["POST", `/connectors/${id}/disable`],
        ["POST", `/connectors/${id}/sync`],
        ["GET", `/connectors/${id}/runs`],
        ["GET", `/connectors/${id}/health`],
        ["GET", `/runs/${id}`],
        ["GET", `/catalog/${id}`],
        ["GET", `/catalog?connector_id=${id}`],
        ["GET", `/sync-history/${id}`],
        ["GET", `/sync-history?connector_id=${id}`],
        ["DELETE", `/api-keys/${id}`],
      ] as const) {
        const response = await h.request(method, `/api/v1${route}`, method === "PATCH" ? { body: { name: "x" } } : {});
        expect({ route: `${method} ${route.replace(id, "<id>")}`, status: response.status }).toEqual({ route: `${method} ${route.replace(id, "<id>")}`, status: 404 });
        expect(response.body.error).toBe("not_found");
      }
    }
  });

  it("deletes a connector", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.neo4j });
    expect((await h.request("DELETE", `/api/v1/connectors/${created.body.id}`)).status).toBe(204);
    expect((await h.request("GET", `/api/v1/connectors/${created.body.id}`)).status).toBe(404);
    const again = await h.request("DELETE", `/api/v1/connectors/${created.body.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("not_found");
  });

  it("serves the connector-types catalogue with JSON Schemas from the zod schemas", async () => {
    const response = await h.request("GET", "/api/v1/connector-types");
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(8);
    const pg = response.body.items.find((t: { type: string }) => t.type === "postgresql");
    expect(pg).toMatchObject({ name: "PostgreSQL", category: "database", auth_type: "credentials" });
    expect(pg.features).toContain("incremental_pull");
    expect(pg.config_schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(pg.config_schema.properties.ssl_mode.enum).toEqual(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
    expect(pg.config_schema.additionalProperties).toBe(false);
    const mongo = response.body.items.find((t: { type: string }) => t.type === "mongodb");
    expect(mongo.config_schema.required).toContain("database");
  });
});

describe("PATCH keeps or replaces secrets", () => {
  async function storedConfig(id: string) {
    return (await h.service.services.connectors.openConfig("default", id)).config;
  }

  it("keeps a secret sent back as ***REDACTED*** and replaces any other value", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.mysql });
    const id = created.body.id;
    const keep = await h.request("PATCH", `/api/v1/connectors/${id}`, {
      body: { name: "Renamed", connection_config: { ...created.body.connection_config, database: "products2" } },
    });
    expect(keep.status).toBe(200);
    expect(keep.body.name).toBe("Renamed");
    expect(keep.body.connection_config).toMatchObject({ database: "products2", password: REDACTED });
    expect(await storedConfig(id)).toMatchObject({ database: "products2", password: secrets.mysqlPassword });

    // A stored secret is only sent to the host it was given for: a new host, or a new port,
    // with the password kept (redacted, or left out) is refused and changes nothing.
    for (const connection_config of [{ ...created.body.connection_config, host: "mysql2.internal" }, { host: "mysql2.internal" }, { port: 3307 }]) {
      const moved = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config } });
      expect(moved.status, JSON.stringify(connection_config)).toBe(400);
      expect(moved.body).toMatchObject({ error: "validation_error", field: "connection_config", message: expect.stringMatching(/send its secrets .* again/) });
    }
    expect(await storedConfig(id)).toMatchObject({ host: seeds.mysql.connection_config.host, password: secrets.mysqlPassword });

    const replace = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config: { host: "mysql2.internal", password: secrets.replacedPassword } } });
    expect(replace.status).toBe(200);
    expect(replace.body.connection_config.password).toBe(REDACTED);
    expect(await storedConfig(id)).toMatchObject({ host: "mysql2.internal", password: secrets.replacedPassword, user: "qanatix" });
  });

  it("keeps the password inside a DSN sent back redacted, and replaces it when changed", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.postgres });
    const id = created.body.id;
    const redactedDsn = created.body.connection_config.dsn.replace("/products", "/products2");
    expect((await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config: { dsn: redactedDsn } } })).status).toBe(200);
    expect((await storedConfig(id)).dsn).toBe(`postgresql://user:${secrets.pgDsnPassword}@db.internal:5432/products2`);
    // The DSN's host changed with its password kept: refused.
    const moved = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config: { dsn: redactedDsn.replace("db.internal", "db2.internal") } } });
    expect(moved.body).toMatchObject({ error: "validation_error", field: "connection_config" });

    const fresh = `postgresql://user:${secrets.replacedPassword}@db2.internal:5432/products`;
    const replaced = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { connection_config: { dsn: fresh } } });
    expect(replaced.body.connection_config.dsn).toBe(`postgresql://user:${REDACTED}@db2.internal:5432/products`);
    expect((await storedConfig(id)).dsn).toBe(fresh);
  });

  it("updates settings without touching the stored secret, and validates the result", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: seeds.querriPostgres });
    const id = created.body.id;
    const patched = await h.request("PATCH", `/api/v1/connectors/${id}`, { body: { batch_size: 200, schedule: null, query: "SELECT 1" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ batch_size: 200, schedule: null, query: "SELECT 1", timezone: "Europe/Berlin" });
    expect((await storedConfig(id)).password).toBe(secrets.querriPassword);

    for (const [body, field] of [
      [{ connector_type: "mysql" }, "connector_type"],
      [{ batch_size: 50_001 }, "batch_size"],
      [{ schedule: "every day" }, "schedule"],
      [{ owner: "me" }, "owner"],
      [{ connection_config: { token: REDACTED } }, "connection_config.token"],
      [{ connection_config: { dsn: "postgresql://u:p@h/db" } }, "connection_config.host"],
      [{ connection_config: "dsn" }, "connection_config"],
    ] as const) {
      const response = await h.request("PATCH", `/api/v1/connectors/${id}`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field });
    }
    const after = await h.request("GET", `/api/v1/connectors/${id}`);
    expect(after.body).toEqual(patched.body);
    expect((await storedConfig(id)).password).toBe(secrets.querriPassword);
  });
});

describe("validation: 400 validation_error naming the field, nothing stored", () => {
  const base = seeds.postgres;
  const cases: [string, unknown, string | undefined][] = [
    ["unknown type", { ...base, connector_type: "oracle" }, "connector_type"],
    ["missing type", { ...base, connector_type: undefined }, "connector_type"],
    ["missing name", { ...base, name: undefined }, "name"],
    // Without a schedule, collection is optional: a catalog-only connector (see seedShapes.test.ts).
    ["schedule without collection", { ...base, collection: undefined, schedule: "0 2 * * *" }, "collection"],
    ["missing connection_config", { ...base, connection_config: undefined }, "connection_config"],
    ["missing host without dsn", { ...base, connection_config: { database: "d", user: "u", password: "p" } }, "connection_config.host"],
    ["mysql missing database", { ...seeds.mysql, connection_config: { host: "h", user: "u", password: "p" } }, "connection_config.database"],
    ["mongodb missing uri", { ...seeds.mongodb, connection_config: { database: "d" } }, "connection_config.uri"],
    ["mongodb missing database", { ...seeds.mongodb, connection_config: { uri: "mongodb://h:27017" } }, "connection_config.database"],
    ["neo4j missing uri", { ...seeds.neo4j, connection_config: { user: "u", password: "p" } }, "connection_config.uri"],
    ["wrong DSN scheme", { ...base, connection_config: { dsn: "mysql://u:p@h:3306/db" } }, "connection_config.dsn"],
    ["DSN without host", { ...base, connection_config: { dsn: "postgresql://" } }, "connection_config.dsn"],
    ["wrong mysql DSN scheme", { ...seeds.mysql, connection_config: { dsn: "postgres://u:p@h/db" } }, "connection_config.dsn"],
    ["wrong mongodb URI scheme", { ...seeds.mongodb, connection_config: { uri: "http://h:27017", database: "d" } }, "connection_config.uri"],
    ["wrong neo4j URI scheme", { ...seeds.neo4j, connection_config: { uri: "http://h:7474" } }, "connection_config.uri"],
    ["bad ssl_mode", { ...seeds.querriPostgres, connection_config: { ...seeds.querriPostgres.connection_config, ssl_mode: "always" } }, "connection_config.ssl_mode"],
    ["port out of range", { ...seeds.mysql, connection_config: { ...seeds.mysql.connection_config, port: 70000 } }, "connection_config.port"],
    ["unknown config field", { ...base, connection_config: { ...base.connection_config, sslmode: "x" } }, "connection_config.sslmode"],
    ["unknown top-level field", { ...base, owner: "me" }, "owner"],
    ["batch_size 0", { ...base, batch_size: 0 }, "batch_size"],
    ["batch_size 50001", { ...base, batch_size: 50_001 }, "batch_size"],
    ["batch_size not integer", { ...base, batch_size: 10.5 }, "batch_size"],
    ["cron out of range", { ...base, schedule: "61 * * * *" }, "schedule"],
    ["cron with seconds", { ...base, schedule: "0 0 2 * * *" }, "schedule"],
    ["cron garbage", { ...base, schedule: "daily" }, "schedule"],
    ["mongodb query not JSON", { ...seeds.mongodb, query: "status = active" }, "query"],
    ["mongodb query an array", { ...seeds.mongodb, query: "[1, 2]" }, "query"],
    ["unknown timezone", { ...base, schedule: "0 2 * * *", timezone: "Mars/Olympus" }, "timezone"],
    ["body an array", [base], undefined],
  ];

  it.each(cases)("%s", async (_label, body, field) => {
    const key = await keyFor("validation", "editor");
    const response = await h.request("POST", "/api/v1/connectors", { key, body });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("validation_error");
    expect(response.body.field).toBe(field);
    expect(response.body.message).toEqual(expect.any(String));
    const list = await h.request("GET", "/api/v1/connectors?include_available=false", { key });
    expect(list.body.items).toEqual([]);
  });

  it("malformed JSON: 400 with the position, the body not echoed", async () => {
    const raw = `{"name": "x", "connection_config": {"password": "${secrets.mysqlPassword}" oops}}`;
    const response = await h.request("POST", "/api/v1/connectors", { raw });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("validation_error");
    expect(response.body.details).toMatchObject({ position: raw.indexOf("oops"), line: 1, column: raw.indexOf("oops") + 1 });
    expect(response.text).not.toContain(secrets.mysqlPassword);
  });

  it("empty body and wrong content type", async () => {
    const empty = await h.request("POST", "/api/v1/connectors", { raw: "" });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/empty/);
    const form = await h.request("POST", "/api/v1/connectors", { raw: "name=x", contentType: "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    expect(form.body.error).toBe("unsupported_media_type");
  });
});

describe("auth, roles and tenant isolation", () => {
  it("401 without a key, with an unknown key, or a malformed header", async () => {
    for (const key of [null, "sk_local_" + "A".repeat(43), "garbage"]) {
      const response = await h.request("GET", "/api/v1/connectors", { key });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe("unauthorized");
    }
    const basic = await fetch(`${h.url}/api/v1/connectors`, { headers: { authorization: "Basic dTpw" } });
    expect(basic.status).toBe(401);
  });

  it("viewer reads, editor writes, owner manages keys", async () => {
    const viewer = await keyFor("roles", "viewer");
    const editor = await keyFor("roles", "editor");
    const owner = await keyFor("roles", "owner");
    expect((await h.request("GET", "/api/v1/connectors", { key: viewer })).status).toBe(200);
    expect((await h.request("GET", "/api/v1/connector-types", { key: viewer })).status).toBe(200);
    const denied = await h.request("POST", "/api/v1/connectors", { key: viewer, body: seeds.postgres });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe("forbidden");
    const created = await h.request("POST", "/api/v1/connectors", { key: editor, body: seeds.postgres });
    expect(created.status).toBe(201);
    expect((await h.request("DELETE", `/api/v1/connectors/${created.body.id}`, { key: viewer })).status).toBe(403);
    expect((await h.request("GET", "/api/v1/api-keys", { key: editor })).status).toBe(403);
    expect((await h.request("POST", "/api/v1/api-keys", { key: editor, body: { role: "owner" } })).status).toBe(403);

    const made = await h.request("POST", "/api/v1/api-keys", { key: owner, body: { role: "viewer", name: "dashboard" } });
    expect(made.status).toBe(201);
    expect(made.body.key).toMatch(/^sk_local_[A-Za-z0-9_-]{43}$/);
    expect(made.body).toMatchObject({ tenant: "roles", role: "viewer", name: "dashboard" });
    const listed = await h.request("GET", "/api/v1/api-keys", { key: owner });
    expect(listed.body.items.map((k: { key_id: string }) => k.key_id)).toContain(made.body.key_id);
    expect(listed.text).not.toContain(made.body.key);
    expect((await h.request("GET", "/api/v1/connectors", { key: made.body.key })).status).toBe(200);
    expect((await h.request("DELETE", `/api/v1/api-keys/${made.body.key_id}`, { key: owner })).status).toBe(204);
    expect((await h.request("GET", "/api/v1/connectors", { key: made.body.key })).status).toBe(401);

    for (const [body, field] of [
      [{ role: "admin" }, "role"],
      [{ role: "viewer", tenant: "other" }, "tenant"],
    ] as const) {
      const bad = await h.request("POST", "/api/v1/api-keys", { key: owner, body });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe(field);
    }
  });

  it("refuses to revoke a tenant's last owner key", async () => {
    const owner = await keyFor("lonely", "owner");
    const keys = await h.request("GET", "/api/v1/api-keys", { key: owner });
    const response = await h.request("DELETE", `/api/v1/api-keys/${keys.body.items[0].key_id}`, { key: owner });
    expect(response.status).toBe(409);
    expect((await h.request("GET", "/api/v1/connectors", { key: owner })).status).toBe(200);
  });

  it("another tenant's connector or key answers 404, never 403", async () => {
    const mine = await h.request("POST", "/api/v1/connectors", { body: seeds.mysql });
    const other = await keyFor("intruder", "owner");
    for (const [method, body] of [["GET", undefined], ["PATCH", { name: "taken" }], ["DELETE", undefined]] as const) {
      const response = await h.request(method, `/api/v1/connectors/${mine.body.id}`, { key: other, body });
      expect(response.status, method).toBe(404);
      expect(response.body.error).toBe("not_found");
    }
    const list = await h.request("GET", "/api/v1/connectors?include_available=false", { key: other });
    expect(list.body.items).toEqual([]);
    const ownKeys = await h.request("GET", "/api/v1/api-keys");
    const revoke = await h.request("DELETE", `/api/v1/api-keys/${ownKeys.body.items[0].key_id}`, { key: other });
    expect(revoke.status).toBe(404);
    expect((await h.request("GET", `/api/v1/connectors/${mine.body.id}`)).body.name).toBe(seeds.mysql.name);
  });
});

describe("no secret leaves encrypted storage", () => {
  it("no test secret in any response or log line, no API key in any log line", async () => {
    expect(h.responses.length).toBeGreaterThan(50);
    expect(h.logs.length).toBeGreaterThan(50);
    const everything = [...h.responses, ...h.logs];
    for (const secret of Object.values(secrets)) {
      expect(everything.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(h.logs.filter((line) => /sk_(local|live)_[A-Za-z0-9_-]{20,}/.test(line))).toEqual([]);
  });
});
