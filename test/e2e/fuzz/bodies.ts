// The fuzz suite's bodies, route by route: connector creates and patches, records, NDJSON lines,
// JSON Schemas and dbt manifests (multipart, or multipart bytes built by hand).
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { Raw, badValue, decodeURIComponentSafe, deep, hugeString, loneSurrogate, mutated, oddString, scopeSegment, toJson, type Body } from "./generators.js";

export const manifestText = readFileSync(path.resolve(import.meta.dirname, "../../fixtures/dbt/jaffle_shop.manifest.v12.json"), "utf8");

// Every host refuses at once (port 9, discard), and every timeout is 1 s, so no request waits.
export const fixtureBodies = {
  postgresql: { name: "fuzz pg", connector_type: "postgresql", collection: "fuzz", record_type: "rows", connection_config: { dsn: "postgresql://fuzz:fuzz-pw@127.0.0.1:9/shop", connection_timeout_seconds: 1 }, query: "SELECT id, name FROM t WHERE updated_at > :last_pull" },
  mysql: { name: "fuzz mysql", connector_type: "mysql", collection: "fuzz", record_type: "items", connection_config: { host: "127.0.0.1", port: 9, user: "u", password: "fuzz-mysql-pw", database: "d", connection_timeout_seconds: 1 }, query: "SELECT * FROM items" },
  mongodb: { name: "fuzz mongo", connector_type: "mongodb", collection: "fuzz", record_type: "docs", connection_config: { uri: "mongodb://u:fuzz-mongo-pw@127.0.0.1:9/db", database: "d", connection_timeout_seconds: 1 }, query: '{"a": 1}' },
  neo4j: { name: "fuzz neo4j", connector_type: "neo4j", collection: "fuzz", record_type: "nodes", connection_config: { uri: "bolt://127.0.0.1:9", user: "neo4j", password: "fuzz-neo4j-pw", connection_timeout_seconds: 1 }, query: "MATCH (n) RETURN n.name AS name" },
  dbt: { name: "fuzz dbt", connector_type: "dbt", connection_config: { project_name: "analytics" } },
} as const;


// The same connectors in the seeds' other shapes: Querri's names, Qarion's credentials and `postgres`.
const aliasBodies = [
  { type: "postgresql", display_name: "fuzz querri", config: { host: "127.0.0.1", port: 9, database: "d", username: "u", password: "fuzz-querri-pw", connection_timeout_seconds: 1, idle_timeout_seconds: 600 } },
  { name: "fuzz qarion", connector_type: "postgres", config: { host: "127.0.0.1", port: 9, database: "d", connection_timeout_seconds: 1 }, credentials: { username: "u", password: "fuzz-qarion-pw" }, source_system_id: "550e8400-e29b-41d4-a716-446655440000" },
  { name: "fuzz qarion dbt", connector_type: "dbt", config: { project_name: "analytics" }, space: "fuzz-space" },
];

export const connectorSeeds = fc.constantFrom<Record<string, unknown>>(
  ...Object.values(fixtureBodies).map((body) => ({ ...body, connection_config: { ...body.connection_config } })),
  ...aliasBodies,
);
// Field values that stay valid are only those that cannot make a request wait (timeouts of 1 s).
export const connectorFields = {
  connection_config: fc.oneof(
    badValue,
    fc.record({ dsn: fc.oneof(fc.constantFrom("postgresql://u:p@127.0.0.1:notaport/x", "postgresql://u:p@[::1/shop", "postgresql://", "postgres://u:***REDACTED***@h/d", "mysql://a@b/c"), oddString) }),
    fc.record({ host: fc.oneof(oddString, badValue), port: fc.oneof(fc.constantFrom(0, 65536, "5432", -1), badValue), password: badValue }, { requiredKeys: [] }),
    fc.record({ uri: oddString, database: badValue, connection_timeout_seconds: fc.constantFrom(0, 301, "1", 1.5, null, 1) }, { requiredKeys: [] }),
  ),
  connector_type: fc.oneof(fc.constantFrom("postgres", "oracle", "DBT", "", "__proto__"), badValue),
  query: fc.oneof(fc.constant(null), oddString, hugeString, badValue),
  schedule: fc.oneof(fc.constantFrom("0 2 * * *", "* * * * * *", "61 * * * *", "0 0 31 2 *", "0 0 1 * 1", "@daily", "0 0 ? * MON"), oddString),
  timezone: fc.oneof(fc.constantFrom("Europe/Berlin", "Mars/Olympus", "UTC+1", "utc"), oddString),
  batch_size: fc.oneof(fc.constantFrom(0, 1, 50_001, 10.5, "100"), badValue),
  parallelism: fc.constantFrom(0, 2, 17, 64, "2"),
  test_connection: fc.constantFrom(true, "true", 1),
  collection: fc.oneof(scopeSegment.map(decodeURIComponentSafe), badValue),
  name: fc.oneof(oddString, hugeString, loneSurrogate, badValue),
  // The seeds' other names (aliases.ts), alone or beside their canonical field, and the new settings.
  type: fc.oneof(fc.constantFrom("postgres", "postgresql", "dbt", "snowflake"), badValue),
  display_name: fc.oneof(oddString, badValue),
  config: fc.oneof(badValue, fc.record({ host: fc.oneof(oddString, badValue), idle_timeout_seconds: fc.constantFrom(0, 1, 600, 3_601, "600") }, { requiredKeys: [] })),
  credentials: fc.oneof(badValue, fc.record({ username: fc.oneof(oddString, badValue), password: badValue, token: badValue }, { requiredKeys: [] })),
  space: fc.oneof(fc.constantFrom("default", "fuzz-space", "Bad Slug", "", "a".repeat(65)), oddString, badValue),
  source_system_id: fc.oneof(fc.constantFrom("550e8400-e29b-41d4-a716-446655440000", null), oddString, badValue),
};

export const validPatches = fc.constantFrom<Record<string, unknown>>(
  { name: "renamed" },
  { batch_size: 10, schedule: null },
  { connection_config: { password: "***REDACTED***" } },
  { connection_config: { connection_timeout_seconds: 1 } },
  { description: "d", query: "SELECT 1" },
  { display_name: "renamed", config: { connection_timeout_seconds: 1 } },
  { credentials: { password: "***REDACTED***" } },
  { collection: null, record_type: null, source_system_id: "550e8400-e29b-41d4-a716-446655440000" },
);
export const patchBodies = fc.oneof(validPatches, fc
  .record(
    {
      name: connectorFields.name,
      query: connectorFields.query,
      schedule: connectorFields.schedule,
      timezone: connectorFields.timezone,
      batch_size: connectorFields.batch_size,
      connection_config: fc.oneof(
        connectorFields.connection_config,
        deep,
        fc.constant({ password: "***REDACTED***" }),
        fc.constant({ token: "***REDACTED***" }),
        fc.constant({ dsn: "postgresql://fuzz:***REDACTED***@127.0.0.1:9/shop" }),
        fc.constant({ host: null, password: null }),
        fc.constant({ dsn: null }),
      ),
      connector_type: connectorFields.connector_type,
      test_connection: connectorFields.test_connection,
      description: badValue,
      type: connectorFields.type,
      display_name: connectorFields.display_name,
      config: connectorFields.config,
      credentials: connectorFields.credentials,
      space: connectorFields.space,
      collection: fc.oneof(fc.constant(null), connectorFields.collection),
    },
    { requiredKeys: [] },
  )
  .map((body) => body as Record<string, unknown>));

const recordBody = fc.record(
  {
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("widget", "gadget") }, { weight: 1, arbitrary: badValue }),
    source_id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("1", "2", "fuzz-3") }, { weight: 1, arbitrary: badValue }, { weight: 1, arbitrary: loneSurrogate }),
    vertical_data: fc.oneof(fc.constant({ price: 1 }), badValue, fc.constant(new Raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'))),
  },
  { requiredKeys: [] },
);
export const batchBody = mutated(fc.array(recordBody, { minLength: 0, maxLength: 5 }).map((list) => ({ records: list })), {
  records: fc.oneof(badValue, fc.array(badValue, { maxLength: 3 }), fc.integer({ min: 1_001, max: 20_000 }).map((n) => new Raw(`[${'{"name":"n"},'.repeat(n)}{"name":"n"}]`))),
});

const ndjsonTypes = fc.constantFrom("application/x-ndjson", "application/x-ndjson; charset=utf-16", "application/jsonl", "application/json", "text/plain", "");
export const ndjsonBody = fc
  .record({
    lines: fc.array(fc.oneof(recordBody.map(toJson), badValue.map(toJson), fc.constantFrom("", "{", "}", "[1,2]", "null", "\r", " ")), { maxLength: 8 }),
    separator: fc.constantFrom("\n", "\r\n", "\n\n"),
    contentType: ndjsonTypes,
    corrupt: fc.oneof(fc.constant([] as number[]), fc.tuple(fc.nat(), fc.nat()).map((t) => [...t])),
  })
  .map(({ lines, separator, contentType, corrupt }): Body => ({ kind: "json", text: lines.join(separator), contentType, corrupt }));

export const schemaBody = mutated(
  fc.constantFrom<Record<string, unknown>>(
    { schema: { type: "object", properties: { n: { type: "number" } } } },
    { schema: true },
    { schema: { type: "object", properties: { s: { type: "string", pattern: "(a+)+$" } } } },
    { schema: { $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/a" } } } },
    { schema: { $ref: "http://127.0.0.1:9/schema.json" } },
    { schema: { type: "nonsense" } },
    { schema: { properties: { __proto__: { type: "string" } } } },
  ),
  { schema: badValue },
);

const manifest = JSON.parse(manifestText);
const manifestBytes = fc.oneof(
  { weight: 3, arbitrary: fc.record({ path: fc.constantFrom("name", "schema", "unique_id", "columns", "depends_on", "tags", "description", "resource_type", "database", "alias", "config"), value: badValue }).map(({ path: field, value }) => {
    const copy = structuredClone(manifest);
    (copy.nodes["model.jaffle_shop.customers"] as Record<string, unknown>)[field] = value;
    return Buffer.from(toJson(copy));
  }) },
  { weight: 1, arbitrary: fc.record({ at: fc.constantFrom("metadata", "nodes", "sources"), value: badValue }).map(({ at, value }) => Buffer.from(toJson({ ...manifest, [at]: value }))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from(manifestText), gzipSync(Buffer.from(manifestText)), gzipSync(Buffer.from("{")), Buffer.from([0x1f, 0x8b, 0, 1]), Buffer.from(""), Buffer.from(manifestText.replace('"customers"', '"\\udc00"'))) },
);
export const manifestForm: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ bytes: manifestBytes, field: fc.oneof({ weight: 5, arbitrary: fc.constant("manifest_file") }, { weight: 1, arbitrary: fc.constantFrom("file", "", "manifest_file[]", "__proto__") }), file: fc.boolean() }).map(({ bytes, field, file }): Body => ({ kind: "form", parts: [{ field, value: bytes, file }] })) },
  { weight: 1, arbitrary: fc.array(manifestBytes, { minLength: 0, maxLength: 3 }).map((list): Body => ({ kind: "form", parts: list.map((value) => ({ field: "manifest_file", value, file: true })) })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        boundary: fc.constantFrom("x", "", "a".repeat(200), "b b"),
        declared: fc.constantFrom("multipart/form-data; boundary=x", "multipart/form-data", "multipart/form-data;", "multipart/form-data; boundary=", "multipart/mixed; boundary=x", "application/json"),
        head: fc.constantFrom('Content-Disposition: form-data; name="manifest_file"; filename="m.json"', 'Content-Disposition: form-data; name="manifest_file"', "Content-Disposition: attachment", ""),
        content: manifestBytes,
        close: fc.boolean(),
      })
      .map(({ boundary, declared, head, content, close }): Body => ({
        kind: "bytes",
        contentType: declared,
        bytes: Buffer.concat([Buffer.from(`--${boundary}\r\n${head}\r\n\r\n`), content, Buffer.from(close ? `\r\n--${boundary}--\r\n` : "")]),
      })),
  },
);
