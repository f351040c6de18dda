// Rate limits over real HTTP against the local service (in-process buckets): a key's burst,
// then 429 with Retry-After and RateLimit-* and nothing done; the refill; keys apart; webhook
// targets and NDJSON streams on buckets of their own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../lib/errors.js";
import { signWebhook } from "../../lib/ingest/webhookSignature.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { secrets, seeds, startHarness, type ApiResponse, type Harness } from "../support/harness.js";

const BURST = 5;
const WEBHOOK_BURST = 3;
const STREAM_BURST = 2;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: String(BURST),
    WEBHOOK_RATE_LIMIT_PER_SECOND: "1", WEBHOOK_RATE_LIMIT_BURST: String(WEBHOOK_BURST),
    STREAM_RATE_LIMIT_PER_MINUTE: "1", STREAM_RATE_LIMIT_BURST: String(STREAM_BURST),
    WEBHOOK_SECRET: secrets.webhookSecret,
  });
});
afterAll(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A key of its own for each test: buckets are per key. */
async function freshKey(role: "viewer" | "editor" | "owner" = "editor", tenant = "default"): Promise<string> {
  return (await h.service.services.apiKeys.create({ tenant, role })).key;
}

function limitHeaders(response: ApiResponse) {
  const number = (name: string) => (response.headers.get(name) === null ? null : Number(response.headers.get(name)));
  return { limit: number("ratelimit-limit"), remaining: number("ratelimit-remaining"), reset: number("ratelimit-reset"), retryAfter: number("retry-after") };
}

/** Sends `send()` until it answers 429; the successes before it. */
async function drain(send: () => Promise<ApiResponse>, most: number): Promise<{ ok: ApiResponse[]; refused: ApiResponse }> {
  const ok: ApiResponse[] = [];
  for (let i = 0; i < most; i++) {
    const response = await send();
    if (response.status === 429) return { ok, refused: response };
    ok.push(response);
  }
  throw new Error(`no 429 after ${most} requests`);
}

function expectRefusal(response: ApiResponse, limit: number) {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({ error: "rate_limited", message: expect.stringContaining("retry after"), details: expect.objectContaining({ limit }), request_id: expect.any(String) });
  const headers = limitHeaders(response);
  expect(headers).toMatchObject({ limit, remaining: 0 });
  expect(headers.retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.body.details.retry_after_seconds).toBe(headers.retryAfter);
}

describe("per API key", () => {
  it("answers a burst, then 429 with Retry-After and RateLimit-*, counting down on the way", async () => {
    const key = await freshKey();
    const started = Date.now();
    const { ok, refused } = await drain(() => h.request("GET", "/api/v1/connectors?include_available=false", { key }), 20);
    // 1/s refills while the burst is sent: at most that many more than the burst get through.
    expect(ok.length).toBeGreaterThanOrEqual(BURST);
    expect(ok.length).toBeLessThanOrEqual(BURST + Math.ceil((Date.now() - started) / 1000));
    expect(ok.map((r) => r.status)).toEqual(ok.map(() => 200));
    expect(limitHeaders(ok[0]!)).toMatchObject({ limit: BURST, remaining: BURST - 1, reset: 1, retryAfter: null });
    expect(limitHeaders(ok.at(-1)!).remaining).toBe(0);
    expectRefusal(refused, BURST);
  });

  it("does nothing for a refused request: a POST that got 429 created no connector", async () => {
    const key = await freshKey();
    await drain(() => h.request("GET", "/api/v1/connector-types", { key }), 20);
    const refused = await h.request("POST", "/api/v1/connectors", { key, body: { ...seeds.postgres, name: "refused by the limit" } });
    expectRefusal(refused, BURST);
    const listed = await h.request("GET", "/api/v1/connectors?include_available=false&limit=100");
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((c: { name: string }) => c.name)).not.toContain("refused by the limit");
    // Before the role check too: a viewer over its limit is told to wait, not that it may not.
    const viewer = await freshKey("viewer");
    await drain(() => h.request("GET", "/api/v1/connector-types", { key: viewer }), 20);
    expect((await h.request("POST", "/api/v1/connectors", { key: viewer, body: seeds.postgres })).status).toBe(429);
  });

  it("refills at the configured rate: after Retry-After seconds the key is answered again", async () => {
    const key = await freshKey();
    const { refused } = await drain(() => h.request("GET", "/api/v1/connector-types", { key }), 20);
    await sleep(limitHeaders(refused).retryAfter! * 1000 + 50);
    const again = await h.request("GET", "/api/v1/connector-types", { key });
    expect(again.status).toBe(200);
    expect(limitHeaders(again)).toMatchObject({ limit: BURST, remaining: 0 });
  });

  it("keeps each key's bucket apart, and tells errors' answers the numbers too", async () => {
    const tired = await freshKey();
    const fresh = await freshKey();
    await drain(() => h.request("GET", "/api/v1/connector-types", { key: tired }), 20);
    const other = await h.request("GET", "/api/v1/connectors/conn_doesnotexist", { key: fresh });
    expect(other.status).toBe(404);
    expect(limitHeaders(other)).toMatchObject({ limit: BURST, remaining: BURST - 1 });
    // No key, no bucket: an unauthenticated request is refused before any limit is looked at.
    const anonymous = await h.request("GET", "/api/v1/connectors", { key: null });
    expect(anonymous.status).toBe(401);
    expect(limitHeaders(anonymous)).toMatchObject({ limit: null, remaining: null });
  });
});

describe("webhook pushes", () => {
  const push = async (key: string, target: string, i: number): Promise<ApiResponse> => {
    const body = JSON.stringify({ records: [{ name: `reading ${i}`, source_id: `r-${i}` }] });
    const response = await fetch(`${h.url}/api/v1/webhooks/ingest/${target}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-webhook-signature": signWebhook(secrets.webhookSecret, body) },
      body,
    });
    const text = await response.text();
    h.responses.push(text);
    return { status: response.status, body: JSON.parse(text), text, headers: response.headers };
  };

  it("draw from the key's webhook bucket: over it 429 and nothing stored, for any target; the key's API use unaffected", async () => {
    const key = await freshKey();
    let i = 0;
    const { ok, refused } = await drain(() => push(key, "iot/limited", i++), 20);
    expect(ok.length).toBeGreaterThanOrEqual(WEBHOOK_BURST);
    expectRefusal(refused, WEBHOOK_BURST);
    const stored = await h.request("GET", "/api/v1/records/iot/limited?limit=100");
    expect(stored.body.items.map((r: { source_id: string }) => r.source_id).sort()).toEqual(ok.map((_, n) => `r-${n}`).sort());
    // One bucket whatever the target: naming another collection gains a sender nothing.
    const other = await push(key, "iot/other", 0);
    expect(other.status).toBe(429);
    expect((await h.request("GET", "/api/v1/records/iot/other")).body.items).toEqual([]);
    const api = await h.request("GET", "/api/v1/connector-types", { key });
    expect(api.status).toBe(200);
    expect(limitHeaders(api).remaining).toBe(BURST - 1);
  });
});

describe("NDJSON streams", () => {
  it("draw from the key's stream bucket (1 a minute here): the third of a burst of two is refused, unread and unstored", async () => {
    const key = await freshKey();
    const stream = (n: number) =>
      h.request("POST", "/api/v1/ingest/streams/limited/stream", { key, raw: JSON.stringify({ name: `line ${n}`, source_id: `s-${n}` }), contentType: "application/x-ndjson" });
    expect((await stream(1)).status).toBe(200);
    expect((await stream(2)).status).toBe(200);
    const refused = await stream(3);
    expectRefusal(refused, STREAM_BURST);
    expect(limitHeaders(refused).retryAfter).toBeGreaterThan(30);
    const stored = await h.request("GET", "/api/v1/records/streams/limited?limit=100");
    expect(stored.body.items.map((r: { source_id: string }) => r.source_id).sort()).toEqual(["s-1", "s-2"]);
    // The key's other requests have their own bucket.
    expect((await h.request("POST", "/api/v1/ingest/streams/limited/batch", { key, body: { records: [{ name: "batch", source_id: "b-1" }] } })).status).toBe(200);
  });
});

describe("configuration", () => {
  it("has documented defaults, per-minute streams, 0 for no limit, and refuses what cannot work", () => {
    const local = loadConfig("local", {});
    expect(local.rateLimits).toEqual({ apiKey: { ratePerSecond: 10, burst: 50 }, webhook: { ratePerSecond: 50, burst: 100 }, stream: { ratePerSecond: 1, burst: 5 } });
    expect(local.rateLimitStore).toBe("memory");
    expect(loadConfig("aws", { CONNECTOR_ENCRYPTION_KEY: "x" }).rateLimitStore).toBe("dynamodb");
    expect(loadConfig("local", { RATE_LIMIT_PER_SECOND: "0", STREAM_RATE_LIMIT_PER_MINUTE: "30" }).rateLimits).toMatchObject({ apiKey: null, stream: { ratePerSecond: 0.5 } });
    for (const env of [{ RATE_LIMIT_BURST: "0" }, { RATE_LIMIT_PER_SECOND: "-1" }, { WEBHOOK_RATE_LIMIT_PER_SECOND: "1.5" }, { RATE_LIMIT_STORE: "redis" }]) {
      expect(() => loadConfig("local", env)).toThrow(ConfigurationError);
    }
  });
});
