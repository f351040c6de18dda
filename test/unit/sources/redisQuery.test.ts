import { describe, expect, it } from "vitest";
import { connectorSchemas } from "../../../lib/connectors/schemas.js";
import { redactConfig, secretValues } from "../../../lib/connectors/redaction.js";
import { SourceError } from "../../../lib/sources/errors.js";
import { redisSettings } from "../../../lib/sources/redis.js";
import { parseRedisQuery, redisQueryProblem } from "../../../lib/sources/redisQuery.js";

const body = (fields: Record<string, unknown>) => ({
  name: "r",
  connector_type: "redis",
  collection: "kv",
  record_type: "item",
  connection_config: { host: "127.0.0.1" },
  query: '{"match": "product:*", "value": "hash"}',
  ...fields,
});

describe("the redis query", () => {
  it.each(["hash", "json_string", "rejson"])("accepts value %s", (value) => {
    expect(redisQueryProblem(JSON.stringify({ match: "p:*", value }))).toBeUndefined();
    expect(parseRedisQuery(JSON.stringify({ match: "p:*", value }))).toEqual({ match: "p:*", value });
  });

  it.each([
    ["not JSON", "{match", /must be a JSON document/],
    ["an array", '["p:*"]', /must be a JSON object/],
    ["no match", '{"value": "hash"}', /^query\.match: /],
    ["an empty match", '{"match": "", "value": "hash"}', /^query\.match: /],
    ["an unknown value", '{"match": "p:*", "value": "zset"}', /^query\.value: /],
    ["an unknown field", '{"match": "p:*", "value": "hash", "type": "hash"}', /unknown fields \(type\)/],
    [":last_pull", '{"match": "p:*", "value": "hash", "updated_after": ":last_pull"}', /cannot use :last_pull/],
  ])("refuses %s", (_what, query, message) => {
    expect(redisQueryProblem(query)).toMatch(message);
    expect(() => parseRedisQuery(query)).toThrow(SourceError);
  });

  it("is checked by the connector schema, as a 400 on the field query", () => {
    const bad = connectorSchemas.redis.safeParse(body({ query: '{"match": "p:*", "value": "list"}' }));
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((issue) => issue.path)).toEqual([["query"]]);
    expect(connectorSchemas.redis.safeParse(body({})).success).toBe(true);
  });

  it("makes the key the default id_column; an explicit one is kept", () => {
    expect(connectorSchemas.redis.parse(body({})).id_column).toBe("_key");
    expect(connectorSchemas.redis.parse(body({ id_column: "id" })).id_column).toBe("id");
    expect(connectorSchemas.postgresql.parse({ ...body({}), connector_type: "postgresql", connection_config: { dsn: "postgresql://h/db" }, query: "SELECT 1" }).id_column).toBe("id");
  });
});

describe("the redis connection config", () => {
  const config = (connection_config: Record<string, unknown>) => connectorSchemas.redis.safeParse(body({ connection_config }));

  it("takes a url or discrete fields, not both, and checks the url's scheme", () => {
    expect(config({ url: "redis://:pw@cache.internal:6379/2" }).success).toBe(true);
    expect(config({ url: "rediss://user:pw@cache.internal" }).success).toBe(true);
    expect(config({ host: "cache.internal", port: 6380, username: "app", password: "pw", database: 3, tls: true }).success).toBe(true);
    expect(config({ url: "http://cache.internal" }).error!.issues[0]!.path).toEqual(["connection_config", "url"]);
    expect(config({ url: "redis://cache.internal", password: "pw" }).error!.issues[0]!.path).toEqual(["connection_config", "password"]);
    expect(config({ port: 6379 }).error!.issues[0]!.path).toEqual(["connection_config", "host"]);
    expect(config({ host: "h", database: -1 }).success).toBe(false);
  });

  it("redacts the password, as a field and inside the url", () => {
    expect(redactConfig({ host: "h", username: "app", password: "s3cret-pw" })).toEqual({ host: "h", username: "app", password: "***REDACTED***" });
    expect(redactConfig({ url: "redis://app:s3cret-pw@h:6379/1" })).toEqual({ url: "redis://app:***REDACTED***@h:6379/1" });
    expect(redactConfig({ url: "rediss://:s3cret-pw@h" })).toEqual({ url: "rediss://:***REDACTED***@h" });
    expect(secretValues({ url: "redis://:s3cret-pw@h" })).toEqual(["s3cret-pw"]);
  });
});

describe("redisSettings", () => {
  it("takes a url apart: user, password, database and TLS from rediss://", () => {
    expect(redisSettings({ url: "rediss://app:p%40ss@cache.internal:6380/4" })).toEqual({ host: "cache.internal", port: 6380, username: "app", password: "p@ss", database: 4, tls: true });
    expect(redisSettings({ url: "redis://:pw@10.0.0.5" })).toEqual({ host: "10.0.0.5", port: 6379, password: "pw", tls: false });
    expect(redisSettings({ url: "redis://[::1]:7000", tls: true })).toEqual({ host: "::1", port: 7000, tls: true });
  });

  it("keeps discrete fields, with port 6379 by default", () => {
    expect(redisSettings({ host: "h", username: "u", password: "p", database: 2 })).toEqual({ host: "h", port: 6379, username: "u", password: "p", database: 2, tls: false });
  });
});
