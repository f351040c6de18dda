// The fuzz suite's generators: malformed values of every kind, bodies mutated from a valid seed,
// content types, keys, ids, scopes, cursors and query strings, and the request they make up.
import fc from "fast-check";

export type Auth = "owner" | "editor" | "viewer" | "other" | "none" | "unknown key" | "not bearer" | "bearer only" | "garbage";
export type Body = { kind: "json"; text: string; contentType: string; corrupt?: number[] } | { kind: "bytes"; bytes: Uint8Array; contentType: string } | { kind: "form"; parts: Part[]; contentType?: string };
export interface Part {
  field: string;
  value: string | Uint8Array;
  file: boolean;
}
export interface FuzzRequest {
  method: string;
  path: string;
  auth: Auth;
  headers?: Record<string, string>;
  body?: Body;
  /** Signs the body bytes as a webhook with the tenant's secret (or not, or wrongly). */
  sign?: "valid" | "valid with timestamp" | "stale" | "wrong" | "garbage" | "none";
}

export class Raw {
  constructor(readonly text: string) {}
}

const isPlain = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Raw);

/** JSON text of a value whose leaves may be Raw text (deep nesting and the like, which JSON.stringify cannot build). */
export function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value && typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

export const deep = fc.record({ levels: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 1_000, max: 200_000 })), open: fc.constantFrom("[", '{"a":', '{"a":') }).map(
  ({ levels, open }) => new Raw(open.repeat(levels) + (open === "[" ? "" : "1") + (open === "[" ? "]" : "}").repeat(levels)),
);
export const hugeString = fc.integer({ min: 100_000, max: 1_200_000 }).map((n) => "x".repeat(n));
export const loneSurrogate = fc.constantFrom("\\ud800", "\\udfff", "a\\udbffb", "\\ud83d").map((escape) => new Raw(`"k${escape}"`));
export const oddNumber = fc.constantFrom("1e400", "-0", "123456789012345678901234567890", "0.1e-400", "1E+2").map((text) => new Raw(text));
export const oddString = fc.oneof(
  fc.constantFrom("", " ", "\u0000", "***REDACTED***", "<script>", "' OR 1=1 --", "../../etc/passwd", "%00", "\u202e", "💥".repeat(50), "0 2 * * *", "null"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);
/** A value of any wrong kind for a field. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: oddString },
  { weight: 3, arbitrary: deep },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, [], {}, ["a"], { __proto__: null }) },
);
export const prototypeKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "__defineGetter__");

type Edit =
  | { op: "set" | "proto"; field: string; value: unknown }
  | { op: "drop"; index: number }
  | { op: "field"; index: number; value: unknown }
  | { op: "inner"; index: number; field: string; value: unknown };

const own = (value: unknown) => ({ value, enumerable: true, configurable: true, writable: true });

function applyEdits(base: Record<string, unknown>, edits: Edit[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base };
  for (const e of edits) {
    const keys = Object.keys(body);
    if (e.op === "drop" && keys.length) delete body[keys[e.index % keys.length]!];
    else if (e.op === "field" && keys.length) body[keys[e.index % keys.length]!] = e.value;
    else if (e.op === "inner") {
      // One level down (connection_config, vertical_data…), where the walks over a body go.
      const objects = keys.filter((key) => isPlain(body[key]));
      if (!objects.length) continue;
      const key = objects[e.index % objects.length]!;
      body[key] = Object.defineProperty({ ...(body[key] as Record<string, unknown>) }, e.field, own(e.value));
    } else if (e.op === "set" || e.op === "proto") Object.defineProperty(body, e.field, own(e.value));
  }
  return body;
}

/** What breaks walks and stores: deep nesting, huge strings, lone surrogates, prototype keys. */
const nasty = fc.oneof(deep, hugeString, loneSurrogate, fc.constant(new Raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')));

/**
 * A body made from `seed`: one field (or one inside an object field) made nasty, which is what
 * finds a walk without a bound in few runs; or a few fields replaced, dropped, added or prototype
 * keys slipped in; or something else entirely.
 */
export function mutated(seed: fc.Arbitrary<Record<string, unknown>>, fieldValues: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  const innerField = fc.oneof(fc.constantFrom("password", "dsn", "host", "port", "uri", "a"), prototypeKey);
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ op: fc.constant("set" as const), field: fc.string({ maxLength: 12 }), value: badValue }),
    fc.record({ op: fc.constant("drop" as const), index: fc.nat() }),
    fc.record({ op: fc.constant("proto" as const), field: prototypeKey, value: fc.oneof(badValue, fc.constant({ polluted: true, isAdmin: true })) }),
    { weight: 2, arbitrary: fc.record({ op: fc.constant("field" as const), index: fc.nat(), value: badValue }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("inner" as const), index: fc.nat(), field: innerField, value: badValue }) },
    ...Object.entries(fieldValues).map(([field, value]) => fc.record({ op: fc.constant("set" as const), field: fc.constant(field), value })),
  );
  const oneNasty: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ op: fc.constant("field" as const), index: fc.nat(), value: nasty }),
    fc.record({ op: fc.constant("inner" as const), index: fc.nat(), field: innerField, value: nasty }),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(seed, oneNasty).map(([base, e]) => applyEdits(base, [e])) },
    { weight: 4, arbitrary: fc.tuple(seed, fc.array(edit, { minLength: 0, maxLength: 3 })).map(([base, edits]) => applyEdits(base, edits)) },
    { weight: 1, arbitrary: badValue },
    { weight: 1, arbitrary: fc.constant(new Raw("")) },
  );
}

const jsonTypes = fc.oneof(
  { weight: 10, arbitrary: fc.constant("application/json") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8", "application/json; charset=UTF-16", "application/json;charset=iso-8859-1", "application/json; charset=\"utf-8\"",
      "application/json; charset=", "APPLICATION/JSON", "application/vnd.api+json", "application/jsonx", "text/json", "text/plain", "application/x-ndjson",
      "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "*/*", "application/json; charset=utf-8; charset=utf-16", "application/json\u0000",
    ),
  },
);

/** A JSON body as sent: text, sometimes with bytes that are not UTF-8 or a byte order mark, under some content type. */
export function json(value: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  return fc.record({
    value,
    contentType: jsonTypes,
    corrupt: fc.oneof({ weight: 6, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.nat()).map((t) => [...t]) }),
    bom: fc.boolean(),
  }).map(({ value, contentType, corrupt, bom }) => ({ kind: "json" as const, text: (bom ? "\ufeff" : "") + toJson(value), contentType: contentType.replace("\u0000", ""), corrupt }));
}

export const auth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("owner" as const) },
  { weight: 1, arbitrary: fc.constantFrom<Auth>("editor", "viewer", "other", "none", "unknown key", "not bearer", "bearer only", "garbage") },
);

/** A path segment naming a resource: ours (mostly), another tenant's, none, or one no resource can have. */
export function idOf(pool: () => { own: string[]; other: string[] }): fc.Arbitrary<string> {
  const pick = (list: () => string[]) => fc.nat().map((i) => list()[i % list().length]!);
  return fc.oneof(
    { weight: 6, arbitrary: pick(() => pool().own) },
    { weight: 2, arbitrary: pick(() => pool().other) },
    { weight: 1, arbitrary: fc.constantFrom("conn_00000000000000000000000000", "run_nosuchrun", "sync_x", "cat_x", "key_x", "ing_x", "x") },
    { weight: 1, arbitrary: fc.integer({ min: 129, max: 5_000 }).map((n) => "a".repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom("%00", "%2F", "..%2F..", "%2e%2e", "%ZZ", "%C0%AF", "%ED%A0%80", "%F0%9F%92%A5", "a%20b", "%EF%BB%BF", "conn_%0A", "-", "_") },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
  );
}

/** A space slug in a path: one the fixtures use (mostly), another valid one, or one that is not a slug. */
export const slug = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("default", "default", "fuzz-space", "marketing-analytics") },
  { weight: 1, arbitrary: fc.constantFrom("Default", "a_b", "-x", "x-", "a".repeat(65), "%2e", "a%2Fb", "%ED%A0%80", "%00", "%C3%A9", "a%20b") },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
);

export const scopeSegment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("fuzz", "fuzz", "fuzz", "other.c-1", "typed") },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 3_000 }).map((n) => "c".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(".hidden", "-x", "%2e", "a%2Fb", "%ED%A0%80", "%00", "é", "a b") },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
);
export const scope = fc.tuple(scopeSegment, fc.oneof({ weight: 4, arbitrary: fc.constantFrom("rows", "typed", "items") }, { weight: 1, arbitrary: scopeSegment })).map(([c, r]) => `${c}/${r}`);

const base64url = (text: string) => Buffer.from(text).toString("base64url");
export const cursorValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom("", "null", "e30", "W10", "bnVsbA", "%%%", "a".repeat(5_000)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => base64url(JSON.stringify(v))),
  fc
    .record({
      pk: fc.constantFrom("TENANT#default", "TENANT#fuzzother", "APIKEY#x", "", "TENANT#default#APIKEYS"),
      sk: fc.oneof(fc.constantFrom("CONNECTOR#", "CONNECTOR#zzz", "SYNC#", "CATALOG#", "RUN#", "SCHEMA#", "x"), fc.string({ maxLength: 20 })),
      gsi1pk: fc.option(fc.constantFrom("TENANT#default#CATALOG#x", "TENANT#fuzzother#SYNCS#x", "")),
      gsi1sk: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.constant("z".repeat(2_000)))),
      // Kept short: a URL past Node's 16 KB header limit is refused by the HTTP parser, before the app.
      extra: fc.option(badValue.filter((v) => !(v instanceof Raw) && JSON.stringify(v).length < 2_000)),
    })
    .map((key) => base64url(JSON.stringify(Object.fromEntries(Object.entries(key).filter(([, v]) => v !== null))))),
);
export const limit = fc.oneof(fc.constantFrom("1", "50", "100"), fc.constantFrom("0", "-1", "101", "1.5", "1e2", "abc", "", "99999999999999999999", "0x10", " 5"));

/** A query string from optional parameters. */
export function query(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  return fc.record(Object.fromEntries(Object.entries(params).map(([name, value]) => [name, fc.option(value, { freq: 2 })]))).map((chosen) => {
    const pairs = Object.entries(chosen).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
    return pairs.length ? `?${pairs.join("&")}` : "";
  });
}

export function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Headers beside the ones a request needs: request ids, encodings and webhook ids of every shape. */
const headerValue = fc.oneof(fc.string({ unit: "grapheme-ascii", maxLength: 60 }), fc.constantFrom("", " ", "a".repeat(300), "=?utf-8?q?x?=", "\t"));
const extraHeaders = fc.record(
  {
    "x-request-id": headerValue,
    "x-webhook-id": headerValue,
    "content-encoding": fc.constantFrom("gzip", "br", "identity", "x"),
    accept: fc.constantFrom("application/xml", "*/*", "", "text/html;q=0"),
    "accept-charset": fc.constantFrom("utf-16", "*"),
    origin: fc.constantFrom("http://evil.example", "null"),
    "x-forwarded-for": fc.constantFrom("169.254.169.254", "::1", "garbage"),
  },
  { requiredKeys: [] },
);

/** The requests for a route: `build` picks what varies; auth and garbage headers vary everywhere. */
export function route(method: string | fc.Arbitrary<string>, build: fc.Arbitrary<Omit<FuzzRequest, "auth" | "method">>): fc.Arbitrary<FuzzRequest> {
  const methods = typeof method === "string" ? fc.constant(method) : method;
  return fc.record({ method: methods, auth, rest: build, headers: fc.option(extraHeaders, { freq: 3 }) }).map(({ method: m, auth: a, rest, headers }) => {
    const request: FuzzRequest = { method: m, auth: a, ...rest, ...(headers ? { headers: { ...headers, ...rest.headers } } : {}) };
    if (m === "GET" || m === "HEAD") delete request.body;
    return request;
  });
}

export const optionalJson = (value: fc.Arbitrary<unknown>) => fc.option(json(value), { freq: 3 }).map((b) => b ?? undefined);
