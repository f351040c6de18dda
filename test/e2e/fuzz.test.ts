// Property-based fuzzing of every route of the API against the real local service: generated
// malformed bodies (wrong types, deep nesting, huge strings, bytes that are not UTF-8, lone
// surrogates, prototype keys), headers (content types, charsets, missing or garbage keys), ids
// (over-long, odd characters, other tenants'), cursors (garbage, forged base64 JSON) and
// multipart parts. Each request must answer below 500; a 4xx must be a JSON body with an `error`
// string; and a 4xx must leave the stored state (the whole control table and the records
// store) as it was.
//
// A fixed seed and FUZZ_RUNS runs per route (default 25) keep it under a minute on two cores.
// For a larger run by hand, raise the runs and vary the seed:
//   FUZZ_RUNS=500 FUZZ_SEED=7 npx vitest run test/e2e/fuzz.test.ts --testTimeout=3600000
// FUZZ_STATS=1 prints how often each route answered each status (what the draws reached).
// A failure names the route and prints the request (method, path, headers, body preview) to
// replay against `npm start`.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../lib/ingest/webhookSignature.js";
import type { SqliteRecordStore } from "../../lib/records/sqlite.js";
import { startHarness, type Harness } from "../support/harness.js";
import { batchBody, connectorFields, connectorSeeds, fixtureBodies, manifestForm, manifestText, ndjsonBody, patchBodies, schemaBody, validPatches } from "./fuzz/bodies.js";
import {
  badValue, cursorValue, idOf, json, limit, mutated, oddString, optionalJson, query, route, scope, slug,
  type Auth, type Body, type FuzzRequest, type Part,
} from "./fuzz/generators.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const STATS = process.env.FUZZ_STATS === "1";
const SEED = Number(process.env.FUZZ_SEED ?? 1818);
const ROUTE_TIMEOUT_MS = Math.max(30_000, RUNS * 5_000);

// ---------------------------------------------------------------------------------------------
// The service, its fixtures, and the stored state

let h: Harness;
let records: Database.Database;

interface Fixtures {
  keys: { owner: string; editor: string; viewer: string; other: string };
  /** Ids of this tenant's resources, by kind, and of another tenant's. */
  own: Record<IdKind, string[]>;
  other: Record<IdKind, string[]>;
  webhookSecret: string;
}
type IdKind = "connector" | "pullable" | "dbt" | "run" | "sync" | "entry" | "ingestion" | "apiKey" | "sacrificial";
let fx: Fixtures;

async function call(method: string, route: string, key: string, body?: unknown): Promise<any> {
  const response = await fetch(`${h.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`fixture ${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function upload(connectorId: string, key: string): Promise<any> {
  const form = new FormData();
  form.append("manifest_file", new Blob([manifestText]), "manifest.json");
  const response = await fetch(`${h.url}/api/v1/connectors/${connectorId}/dbt-manifest`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
  return response.json();
}

/** A connector of every type and a disabled one: what the id-taking routes aim at. */
async function createConnectors(key: string): Promise<Pick<Record<IdKind, string[]>, "connector" | "pullable" | "dbt">> {
  const created: Record<string, string> = {};
  for (const [type, body] of Object.entries(fixtureBodies)) created[type] = (await call("POST", "/connectors", key, body)).id;
  const disabled = (await call("POST", "/connectors", key, { ...fixtureBodies.postgresql, name: "fuzz disabled" })).id;
  await call("POST", `/connectors/${disabled}/disable`, key, { reason: "fuzz" });
  // One in another space than the default, for the space routes to find or not.
  const spaced = (await call("POST", "/catalog/spaces/fuzz-space/connectors", key, fixtureBodies.dbt)).id;
  return { connector: [...Object.values(created), disabled, spaced], pullable: [created.postgresql!, created.mysql!, created.dbt!, disabled], dbt: [created.dbt!, spaced] };
}

/** One tenant's worth of resources of every kind, so ids of each exist to be aimed at. */
async function seedTenant(key: string): Promise<Record<IdKind, string[]>> {
  const connectors = await createConnectors(key);
  const [pg] = connectors.pullable;
  const [dbt] = connectors.dbt;
  const run = (await call("POST", `/connectors/${pg}/pull?wait=10`, key)).run_id;
  const imported = await upload(dbt!, key);
  const entry = (await call("GET", `/catalog?connector_id=${dbt}&limit=1`, key)).items[0].entry_id;
  const ingestion = (await call("POST", "/ingest/fuzz/rows/batch", key, { records: [{ name: "one", source_id: "1" }, { name: "two", source_id: "2", vertical_data: { x: 1 } }] })).ingestion_id;
  await call("PUT", "/schemas/fuzz/typed", key, { schema: { type: "object", properties: { n: { type: "number" } } } });
  const apiKey = (await call("POST", "/api-keys", key, { role: "viewer", name: "fuzz viewer" })).key_id;
  const sacrificial = [];
  for (let i = 0; i < 3; i++) sacrificial.push((await call("POST", "/api-keys", key, { role: "viewer", name: `sacrificial ${i}` })).key_id);
  return { ...connectors, run: [run], sync: [imported.id], entry: [entry], ingestion: [ingestion, run], apiKey: [apiKey], sacrificial };
}

/** Fresh connectors (and the webhook secret) for the next route, so what one route's requests did (deleted, patched) does not starve another's. */
async function refreshFixtures(): Promise<void> {
  Object.assign(fx.own, await createConnectors(fx.keys.owner));
  await call("PUT", "/webhooks/secret", fx.keys.owner, { secret: fx.webhookSecret });
}

beforeAll(async () => {
  h = await startHarness();
  const { apiKeys, config } = h.service.services;
  const key = async (tenant: string, role: "viewer" | "editor" | "owner") => (await apiKeys.create({ tenant, role })).key;
  const keys = { owner: h.ownerKey, editor: await key("default", "editor"), viewer: await key("default", "viewer"), other: await key("fuzzother", "owner") };
  fx = { keys, own: await seedTenant(keys.owner), other: await seedTenant(keys.other), webhookSecret: "fuzz-webhook-secret-0123456789" };
  await call("PUT", "/webhooks/secret", keys.owner, { secret: fx.webhookSecret });
  records = new Database((h.service.services.records as SqliteRecordStore).file, { readonly: true, fileMustExist: true });
  expect(config.recordsStore).toBe("sqlite");
}, 120_000);

afterAll(async () => {
  for (const [name, counts] of statuses) console.log(`${name.padEnd(52)} ${[...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ")}`);
  records?.close();
  await h?.close();
});

const sortedKeys = (_key: string, value: unknown) =>
  value && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value;

/** Everything stored: every item of the control table and every record, once no pull or sync is running. */
async function snapshot(): Promise<string> {
  const { db, config } = h.service.services;
  for (let attempt = 0; ; attempt++) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: config.controlTable, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    // A pull or sync an accepted request began goes on in the background: wait until it is done.
    const busy = items.some((item) => item.status === "running" || String(item.pk).startsWith("LEASE#"));
    if (busy && attempt < 400) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    items.sort((a, b) => `${a.pk}\0${a.sk}`.localeCompare(`${b.pk}\0${b.sk}`));
    const rows = records.prepare("SELECT tenant, collection, record_type, source_id, content_hash, updated_at FROM records ORDER BY 1, 2, 3, 4").all();
    return JSON.stringify({ items, rows }, sortedKeys);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests: how they are sent, and what every answer must satisfy

const id = (kind: IdKind) => idOf(() => ({ own: fx.own[kind], other: fx.other[kind] }));

function bodyBytes(body: Body): Uint8Array {
  if (body.kind === "bytes") return body.bytes;
  if (body.kind === "json") {
    const bytes = Buffer.from(body.text, "utf8");
    // Invalid UTF-8 spliced in: a lone continuation byte, an overlong form, an encoded surrogate, a cut-off sequence.
    if (!body.corrupt?.length) return bytes;
    const bad = [Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])];
    const at = Math.min(bytes.length, body.corrupt[0]! % (bytes.length + 1));
    return Buffer.concat([bytes.subarray(0, at), bad[body.corrupt[1]! % bad.length]!, bytes.subarray(at)]);
  }
  throw new Error("a form has no fixed bytes");
}

function authHeader(auth: Auth): string | undefined {
  switch (auth) {
    case "owner": return `Bearer ${fx.keys.owner}`;
    case "editor": return `Bearer ${fx.keys.editor}`;
    case "viewer": return `Bearer ${fx.keys.viewer}`;
    case "other": return `Bearer ${fx.keys.other}`;
    case "none": return undefined;
    case "unknown key": return `Bearer sk_local_${"A".repeat(43)}`;
    case "not bearer": return `Basic ${Buffer.from("user:pw").toString("base64")}`;
    case "bearer only": return "Bearer";
    case "garbage": return `Bearer ${fx.keys.owner} ${fx.keys.owner}`;
  }
}

function formBody(parts: Part[]): FormData {
  const form = new FormData();
  for (const part of parts) {
    if (part.file) form.append(part.field, new Blob([part.value]), "manifest.json");
    else form.append(part.field, typeof part.value === "string" ? part.value : Buffer.from(part.value).toString("latin1"));
  }
  return form;
}

async function send(request: FuzzRequest): Promise<{ status: number; text: string; contentType: string }> {
  const headers: Record<string, string> = { ...request.headers };
  const auth = authHeader(request.auth);
  if (auth) headers.authorization = auth;
  let body: RequestInit["body"];
  if (request.body?.kind === "form") {
    body = formBody(request.body.parts);
    if (request.body.contentType) headers["content-type"] = request.body.contentType;
  } else if (request.body) {
    const bytes = bodyBytes(request.body);
    body = bytes;
    if (request.body.contentType) headers["content-type"] = request.body.contentType;
    if (request.sign && request.sign !== "none") {
      const now = Math.floor(Date.now() / 1000);
      if (request.sign === "valid") headers["x-webhook-signature"] = signWebhook(fx.webhookSecret, bytes);
      if (request.sign === "valid with timestamp") Object.assign(headers, { "x-webhook-timestamp": String(now), "x-webhook-signature": signWebhook(fx.webhookSecret, bytes, now) });
      if (request.sign === "stale") Object.assign(headers, { "x-webhook-timestamp": String(now - 3_600), "x-webhook-signature": signWebhook(fx.webhookSecret, bytes, now - 3_600) });
      if (request.sign === "wrong") headers["x-webhook-signature"] = signWebhook("not-the-secret-at-all", bytes);
      if (request.sign === "garbage") Object.assign(headers, { "x-webhook-signature": "sha256=zz", "x-webhook-timestamp": "yesterday" });
    }
  }
  const response = await fetch(`${h.url}/api/v1${request.path}`, { method: request.method, headers, body });
  return { status: response.status, text: await response.text(), contentType: response.headers.get("content-type") ?? "" };
}

const preview = (text: string, max = 400) => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text);

/** The request as one can replay it (keys named by role, bodies cut short). */
function describeRequest(request: FuzzRequest): string {
  const lines = [`${request.method} /api/v1${preview(request.path, 300)}`, `auth: ${request.auth}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${preview(value, 200)}`);
  if (request.sign) lines.push(`webhook signature: ${request.sign}`);
  const body = request.body;
  if (body?.kind === "json") lines.push(`content-type: ${body.contentType}`, `body (text${body.corrupt?.length ? `, invalid UTF-8 spliced at ${body.corrupt[0]}` : ""}): ${preview(body.text)}`);
  if (body?.kind === "bytes") lines.push(`content-type: ${body.contentType}`, `body (${body.bytes.length} bytes, hex): ${preview(Buffer.from(body.bytes).toString("hex"))}`);
  if (body?.kind === "form") {
    lines.push(`content-type: ${body.contentType ?? "(multipart from FormData)"}`);
    for (const part of body.parts) lines.push(`part ${JSON.stringify(part.field)}${part.file ? " (file)" : ""}: ${preview(typeof part.value === "string" ? part.value : `${part.value.length} bytes: ${Buffer.from(part.value.subarray(0, 64)).toString("hex")}`)}`);
  }
  return lines.join("\n");
}

const statuses = new Map<string, Map<number, number>>();
let current = "";

/** The three properties, for one request: no 5xx, a JSON error body for a 4xx, nothing stored by a 4xx. */
async function check(request: FuzzRequest): Promise<void> {
  const before = await snapshot();
  const response = await send(request);
  if (STATS) {
    const counts = statuses.get(current) ?? new Map<number, number>();
    counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    statuses.set(current, counts);
  }
  const where = () => `\n--- request\n${describeRequest(request)}\n--- answer ${response.status}\n${preview(response.text)}`;
  if (response.status >= 500) throw new Error(`a 5xx answer${where()}`);
  if (response.status < 400) return;
  if (request.method !== "HEAD") {
    let body: any;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new Error(`a 4xx whose body is not JSON${where()}`);
    }
    if (!/^application\/json/.test(response.contentType)) throw new Error(`a 4xx not sent as application/json${where()}`);
    if (typeof body?.error !== "string" || typeof body?.message !== "string") throw new Error(`a 4xx without error and message strings${where()}`);
  }
  const after = await snapshot();
  if (after !== before) throw new Error(`a ${response.status} that changed the stored state${where()}`);
}

const DEEP = '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000);

/**
 * Fixed variants of a drawn request that a few random runs may miss: each top-level field of its
 * JSON body, and each field one level down, replaced by an object nested 5,000 deep (the walks
 * over a body recurse), or given a lone surrogate or a prototype key. Sent by the owner, as JSON.
 */
function nastyVariants(request: FuzzRequest): FuzzRequest[] {
  // Drawn bodies that are already huge or deep are variants enough (and JSON.stringify overflows on them).
  if (request.body?.kind !== "json" || request.body.text.length > 10_000) return [];
  const texts: string[] = [];
  try {
    const body = JSON.parse(request.body.text.replace(/^\ufeff/, "")) as unknown;
    if (!body || typeof body !== "object" || Array.isArray(body)) return [];
    texts.push(`{"__proto__":{"polluted":true},${JSON.stringify(body).slice(1)}`);
    for (const [key, field] of Object.entries(body)) {
      const others = Object.entries(body).filter(([k]) => k !== key).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`).join("");
      texts.push(`{${others}${JSON.stringify(key)}:${DEEP}}`, `{${others}${JSON.stringify(key)}:"k\\ud800"}`);
      if (field && typeof field === "object" && !Array.isArray(field)) texts.push(`{${others}${JSON.stringify(key)}:{${JSON.stringify(field).slice(1, -1)}${Object.keys(field).length ? "," : ""}"a":${DEEP}}}`);
    }
  } catch {
    return [];
  }
  return texts.map((text) => ({ ...request, auth: "owner", headers: undefined, body: { kind: "json", text, contentType: "application/json" } }));
}

/**
 * Runs the property for one route, with fresh connectors: first the nasty variants of a few draws
 * aimed at our own resources, then FUZZ_RUNS random draws. The seed is offset per route.
 */
async function fuzz(name: string, index: number, requests: fc.Arbitrary<FuzzRequest>): Promise<void> {
  current = name;
  await refreshFixtures();
  const ownIds = Object.values(fx.own).flat();
  const takesId = /\{(?!collection|record_type|slug)/.test(name);
  const aimed = fc.sample(requests, { seed: SEED + index, numRuns: 20 }).filter((r) => !takesId || ownIds.some((id) => r.path.includes(id)));
  const examples = aimed.flatMap(nastyVariants).slice(0, 12);
  const shown = requests.map((request) => Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) }));
  await fc.assert(
    fc.asyncProperty(shown, async (request) => check(request)),
    { seed: SEED + index, numRuns: RUNS, endOnFailure: RUNS <= 50, examples: examples.map((example) => [Object.assign(example, { [fc.toStringMethod]: () => describeRequest(example) })]) },
  );
}

// ---------------------------------------------------------------------------------------------
// Every route of lib/http/app.ts and lib/http/routes/*

const routes: [string, () => fc.Arbitrary<FuzzRequest>][] = [
  ["GET /connector-types", () => route("GET", query({ x: oddString.map(encodeURIComponent) }).map((q) => ({ path: `/connector-types${q}` })))],
  ["POST /connectors", () => route("POST", json(mutated(connectorSeeds, connectorFields)).map((body) => ({ path: "/connectors", body })))],
  ["GET /connectors", () => route("GET", query({ type: fc.oneof(fc.constantFrom("postgresql", "postgres", "dbt", "oracle", ""), oddString.map(encodeURIComponent)), space: slug, status: fc.constantFrom("active", "running", "nope"), include_available: fc.constantFrom("true", "false", "0", "yes"), limit, cursor: cursorValue }).map((q) => ({ path: `/connectors${q}` })))],
  ["GET /connectors/{id}", () => route("GET", id("connector").map((i) => ({ path: `/connectors/${i}` })))],
  ["PATCH /connectors/{id}", () => route("PATCH", fc.record({ i: id("connector"), body: json(fc.oneof(mutated(validPatches, connectorFields), patchBodies)) }).map(({ i, body }) => ({ path: `/connectors/${i}`, body })))],
  ["DELETE /connectors/{id}", () => route("DELETE", fc.record({ i: id("connector"), q: query({ force: fc.constantFrom("true", "false", "yes", "") }) }).map(({ i, q }) => ({ path: `/connectors/${i}${q}` })))],
  ["POST /connectors/{id}/disable", () => route("POST", fc.record({ i: id("connector"), body: optionalJson(mutated(fc.constant({ reason: "fuzz" }), { reason: badValue })) }).map(({ i, body }) => ({ path: `/connectors/${i}/disable`, body })))],
  ["POST /connectors/{id}/enable", () => route("POST", fc.record({ i: id("connector"), body: optionalJson(badValue) }).map(({ i, body }) => ({ path: `/connectors/${i}/enable`, body })))],
  ["POST /connectors/{id}/test", () => route("POST", id("pullable").map((i) => ({ path: `/connectors/${i}/test` })))],
  ["POST /connectors/{id}/pull", () => route("POST", fc.record({ i: id("pullable"), q: query({ wait: fc.constantFrom("0", "1", "-1", "901", "abc", "1e3", "NaN", "Infinity", "0.5") }) }).map(({ i, q }) => ({ path: `/connectors/${i}/pull${q}` })))],
  ["GET /connectors/{id}/runs", () => route("GET", fc.record({ i: id("pullable"), q: query({ limit, cursor: cursorValue }) }).map(({ i, q }) => ({ path: `/connectors/${i}/runs${q}` })))],
  ["GET /runs/{run_id}", () => route("GET", id("run").map((i) => ({ path: `/runs/${i}` })))],
  ["GET /connectors/{id}/health", () => route("GET", id("connector").map((i) => ({ path: `/connectors/${i}/health` })))],
  ["POST /connectors/{id}/sync", () => route("POST", id("pullable").map((i) => ({ path: `/connectors/${i}/sync` })))],
  ["POST /connectors/{id}/dbt-manifest", () => route("POST", fc.record({ i: fc.oneof({ weight: 4, arbitrary: id("dbt") }, { weight: 1, arbitrary: id("connector") }), body: manifestForm }).map(({ i, body }) => ({ path: `/connectors/${i}/dbt-manifest`, body })))],
  ["GET /sync-history", () => route("GET", query({ connector_id: id("connector"), limit, cursor: cursorValue }).map((q) => ({ path: `/sync-history${q}` })))],
  ["GET /sync-history/{id}", () => route("GET", id("sync").map((i) => ({ path: `/sync-history/${i}` })))],
  ["GET /catalog", () => route("GET", query({ connector_id: id("connector"), q: fc.oneof(oddString.map(encodeURIComponent), fc.constant("q".repeat(201))), limit, cursor: cursorValue }).map((q) => ({ path: `/catalog${q}` })))],
  ["GET /catalog/{entry_id}", () => route("GET", id("entry").map((i) => ({ path: `/catalog/${i}` })))],
  // Qarion's space routes: the same handlers, scoped to the slug's space.
  ["GET /catalog/spaces/{slug}/connectors", () => route("GET", fc.record({ s: slug, q: query({ limit, cursor: cursorValue }) }).map(({ s, q }) => ({ path: `/catalog/spaces/${s}/connectors${q}` })))],
  ["POST /catalog/spaces/{slug}/connectors", () => route("POST", fc.record({ s: slug, body: json(mutated(connectorSeeds, connectorFields)) }).map(({ s, body }) => ({ path: `/catalog/spaces/${s}/connectors`, body })))],
  ["GET /catalog/spaces/{slug}/connectors/{id}", () => route("GET", fc.record({ s: slug, i: id("connector") }).map(({ s, i }) => ({ path: `/catalog/spaces/${s}/connectors/${i}` })))],
  ["PATCH /catalog/spaces/{slug}/connectors/{id}", () => route("PATCH", fc.record({ s: slug, i: id("connector"), body: json(fc.oneof(mutated(validPatches, connectorFields), patchBodies)) }).map(({ s, i, body }) => ({ path: `/catalog/spaces/${s}/connectors/${i}`, body })))],
  ["DELETE /catalog/spaces/{slug}/connectors/{id}", () => route("DELETE", fc.record({ s: slug, i: id("connector"), q: query({ force: fc.constantFrom("true", "false", "yes", "") }) }).map(({ s, i, q }) => ({ path: `/catalog/spaces/${s}/connectors/${i}${q}` })))],
  ["POST /catalog/spaces/{slug}/connectors/{id}/sync", () => route("POST", fc.record({ s: slug, i: id("pullable") }).map(({ s, i }) => ({ path: `/catalog/spaces/${s}/connectors/${i}/sync` })))],
  ["POST /catalog/spaces/{slug}/connectors/{id}/dbt-manifest", () => route("POST", fc.record({ s: slug, i: fc.oneof({ weight: 4, arbitrary: id("dbt") }, { weight: 1, arbitrary: id("connector") }), body: manifestForm }).map(({ s, i, body }) => ({ path: `/catalog/spaces/${s}/connectors/${i}/dbt-manifest`, body })))],
  ["GET /catalog/spaces/{slug}/sync-history", () => route("GET", fc.record({ s: slug, q: query({ connector_id: id("connector"), limit, cursor: cursorValue }) }).map(({ s, q }) => ({ path: `/catalog/spaces/${s}/sync-history${q}` })))],
  ["POST /ingest/{collection}/{record_type}/batch", () => route("POST", fc.record({ s: scope, body: json(batchBody) }).map(({ s, body }) => ({ path: `/ingest/${s}/batch`, body })))],
  ["POST /ingest/{collection}/{record_type}/stream", () => route("POST", fc.record({ s: scope, body: ndjsonBody }).map(({ s, body }) => ({ path: `/ingest/${s}/stream`, body })))],
  ["GET /ingestions/{id}", () => route("GET", id("ingestion").map((i) => ({ path: `/ingestions/${i}` })))],
  ["GET /ingestions/{id}/errors", () => route("GET", fc.record({ i: id("ingestion"), q: query({ limit, cursor: cursorValue }) }).map(({ i, q }) => ({ path: `/ingestions/${i}/errors${q}` })))],
  ["PUT /schemas/{collection}/{record_type}", () => route("PUT", fc.record({ s: scope, body: json(schemaBody) }).map(({ s, body }) => ({ path: `/schemas/${s}`, body })))],
  ["GET /schemas/{collection}/{record_type}", () => route("GET", scope.map((s) => ({ path: `/schemas/${s}` })))],
  ["DELETE /schemas/{collection}/{record_type}", () => route("DELETE", scope.map((s) => ({ path: `/schemas/${s}` })))],
  ["GET /records/{collection}/{record_type}", () => route("GET", fc.record({ s: scope, q: query({ limit, cursor: cursorValue }) }).map(({ s, q }) => ({ path: `/records/${s}${q}` })))],
  ["GET /records/{collection}/{record_type}/{source_id}", () => route("GET", fc.record({ s: scope, i: fc.oneof(fc.constantFrom("1", "2", "a/b", "%2F", "%ED%A0%80", "%00"), id("ingestion"), fc.integer({ min: 1_000, max: 5_000 }).map((n) => "s".repeat(n))) }).map(({ s, i }) => ({ path: `/records/${s}/${i}` })))],
  ["POST /webhooks/ingest/{collection}/{record_type}", () => route("POST", fc.record({ s: scope, body: json(batchBody), sign: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("valid" as const, "valid with timestamp" as const) }, { weight: 1, arbitrary: fc.constantFrom("stale" as const, "wrong" as const, "garbage" as const, "none" as const) }) }).map(({ s, body, sign }) => ({ path: `/webhooks/ingest/${s}`, body, sign })))],
  ["GET /webhooks/secret", () => route("GET", fc.constant({ path: "/webhooks/secret" }))],
  ["PUT /webhooks/secret", () => route("PUT", json(mutated(fc.constant({ secret: "fuzz-webhook-secret-0123456789" }), { secret: fc.oneof(badValue, fc.constantFrom("short", "x".repeat(1_025))) })).map((body) => ({ path: "/webhooks/secret", body })))],
  ["DELETE /webhooks/secret", () => route("DELETE", fc.constant({ path: "/webhooks/secret" }))],
  ["POST /api-keys", () => route("POST", json(mutated(fc.constant({ role: "viewer", name: "fuzz" }), { role: fc.constantFrom("owner", "admin", "VIEWER", ""), name: badValue, tenant: fc.constantFrom("fuzzother", "default") })).map((body) => ({ path: "/api-keys", body })))],
  ["GET /api-keys", () => route("GET", query({ limit, cursor: cursorValue }).map((q) => ({ path: `/api-keys${q}` })))],
  ["DELETE /api-keys/{key_id}", () => route("DELETE", fc.oneof({ weight: 2, arbitrary: id("sacrificial") }, { weight: 1, arbitrary: id("apiKey") }).map((i) => ({ path: `/api-keys/${i}` })))],
  [
    "no such route, or a method a route does not take",
    () =>
      route(
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        fc.record({
          p: fc.constantFrom("/nope", "/connectors/x/y/z", "/connector-types", "/api-keys", "/webhooks/secret", "/runs", "/records", "/", "", "/ingest/a/b/c", "/connectors//pull", "/%", "/catalog/spaces/x/nope", "/catalog/spaces/x/connectors/y/pull", "/catalog/spaces"),
          body: optionalJson(badValue),
        }).map(({ p, body }) => ({ path: p, body })),
      ),
  ],
];

describe("fuzzing every route: no 5xx, a JSON error for a 4xx, nothing stored by a 4xx", () => {
  routes.forEach(([name, requests], index) => {
    it(name, async () => fuzz(name, index, requests()), ROUTE_TIMEOUT_MS);
  });

  it("covers every route the app serves", () => {
    // 43 routes of lib/http/routes/* (each method and path once) plus the unknown-route case.
    expect(new Set(routes.map(([name]) => name)).size).toBe(44);
  });
});
