// Signed webhooks over real HTTP against the local service: HMAC-SHA256 over the raw body,
// replay protection, 401 with nothing stored, the per-tenant secret (encrypted, never shown),
// and a scan of every response and log line for the secrets.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../lib/ingest/webhookSignature.js";
import { secrets, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WEBHOOK_SECRET: secrets.webhookSecret });
});
afterAll(async () => {
  await h?.close();
});

async function post(path: string, body: string, headers: Record<string, string>, key = h.ownerKey) {
  const response = await fetch(h.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  h.responses.push(text);
  return { status: response.status, body: JSON.parse(text) };
}

async function stored(scope: string): Promise<string[]> {
  return (await h.request("GET", `/api/v1/records/${scope}?limit=100`)).body.items.map((r: { source_id: string }) => r.source_id);
}

const payload = JSON.stringify({ records: [{ name: "Zürich sensor", source_id: "s-1", vertical_data: { celsius: 21.5 } }, { name: "Bern", source_id: "s-2" }] });

describe("signed webhook", () => {
  it("stores a batch signed with WEBHOOK_SECRET over the raw bytes", async () => {
    const response = await post("/api/v1/webhooks/ingest/iot/sensor", payload, { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ record_count: 2, accepted: 2, rejected: 0, status: "completed" });
    expect(await stored("iot/sensor")).toEqual(["s-1", "s-2"]);
    const ingestion = await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}`);
    expect(ingestion.body.kind).toBe("webhook");
  });

  it("accepts a timestamped signature within 300 s and refuses a stale or replayed one", async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = await post("/api/v1/webhooks/ingest/iot/timed", payload, {
      "x-webhook-timestamp": String(now - 60),
      "x-webhook-signature": signWebhook(secrets.webhookSecret, payload, now - 60),
    });
    expect(fresh.status).toBe(200);
    for (const ts of [now - 301, now + 400]) {
      const stale = await post("/api/v1/webhooks/ingest/iot/stale", payload, {
        "x-webhook-timestamp": String(ts),
        "x-webhook-signature": signWebhook(secrets.webhookSecret, payload, ts),
      });
      expect(stale.status).toBe(401);
      expect(stale.body.message).toContain("300 s");
    }
    // The timestamp is covered by the MAC: moving it breaks the signature.
    const moved = await post("/api/v1/webhooks/ingest/iot/stale", payload, {
      "x-webhook-timestamp": String(now),
      "x-webhook-signature": signWebhook(secrets.webhookSecret, payload, now - 60),
    });
    expect(moved.status).toBe(401);
    expect(await stored("iot/stale")).toEqual([]);
  });

  it("answers 401 and stores nothing for a missing, malformed or wrong signature", async () => {
    const tampered = payload.replace("21.5", "99.9");
    const cases: Record<string, string>[] = [
      {},
      { "x-webhook-signature": "md5=abc" },
      { "x-webhook-signature": "sha256=" + "0".repeat(64) },
      { "x-webhook-signature": signWebhook("some-other-secret-value", payload) },
      { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) }, // sent with the tampered body
      { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload), "x-webhook-timestamp": "soon" },
    ];
    for (const [i, headers] of cases.entries()) {
      const response = await post("/api/v1/webhooks/ingest/iot/refused", i === 4 ? tampered : payload, headers);
      expect({ i, status: response.status }).toEqual({ i, status: 401 });
      expect(response.body.error).toBe("invalid_signature");
    }
    // Checked before parsing: a signed-with-the-wrong-key malformed body is a 401, not a 400.
    const garbage = await post("/api/v1/webhooks/ingest/iot/refused", "{not json", { "x-webhook-signature": signWebhook("wrong-key-wrong-key", "{not json") });
    expect(garbage.status).toBe(401);
    expect(await stored("iot/refused")).toEqual([]);
  });

  it("validates like the batch endpoint once the signature holds", async () => {
    const malformed = "{not json";
    const bad = await post("/api/v1/webhooks/ingest/iot/bad", malformed, { "x-webhook-signature": signWebhook(secrets.webhookSecret, malformed) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^malformed JSON at position 1/);
    const text = await fetch(h.url + "/api/v1/webhooks/ingest/iot/bad", {
      method: "POST",
      headers: { authorization: `Bearer ${h.ownerKey}`, "content-type": "text/plain", "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) },
      body: payload,
    });
    expect(text.status).toBe(415);
    expect(await stored("iot/bad")).toEqual([]);
  });
});

describe("per-tenant webhook secret", () => {
  it("is set by an owner, replaces WEBHOOK_SECRET for that tenant, and is never shown", async () => {
    const editor = (await h.service.services.apiKeys.create({ tenant: "default", role: "editor" })).key;
    expect((await h.request("PUT", "/api/v1/webhooks/secret", { key: editor, body: { secret: secrets.tenantWebhookSecret } })).status).toBe(403);
    expect((await h.request("GET", "/api/v1/webhooks/secret")).body).toEqual({ source: "environment", updated_at: null });
    const short = await h.request("PUT", "/api/v1/webhooks/secret", { body: { secret: "short" } });
    expect(short.status).toBe(400);
    expect(short.body.field).toBe("secret");

    const set = await h.request("PUT", "/api/v1/webhooks/secret", { body: { secret: secrets.tenantWebhookSecret } });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ source: "tenant", updated_at: expect.any(String) });
    expect((await h.request("GET", "/api/v1/webhooks/secret")).body.source).toBe("tenant");

    const withEnv = await post("/api/v1/webhooks/ingest/iot/tenant", payload, { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) });
    expect(withEnv.status).toBe(401);
    const withTenant = await post("/api/v1/webhooks/ingest/iot/tenant", payload, { "x-webhook-signature": signWebhook(secrets.tenantWebhookSecret, payload) });
    expect(withTenant.status).toBe(200);

    // Another tenant still uses WEBHOOK_SECRET.
    const other = (await h.service.services.apiKeys.create({ tenant: "other", role: "editor" })).key;
    expect((await post("/api/v1/webhooks/ingest/iot/tenant", payload, { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) }, other)).status).toBe(200);

    // Stored as an envelope only.
    const { services } = h.service;
    const items = (await services.db.send(new ScanCommand({ TableName: services.config.controlTable }))).Items ?? [];
    const item = items.find((i) => i.sk === "WEBHOOK_SECRET");
    expect(item?.envelope).toMatchObject({ provider: "local", token: expect.any(String) });
    expect(JSON.stringify(items)).not.toContain(secrets.tenantWebhookSecret);

    expect((await h.request("DELETE", "/api/v1/webhooks/secret")).status).toBe(204);
    expect((await h.request("DELETE", "/api/v1/webhooks/secret")).status).toBe(404);
    expect((await post("/api/v1/webhooks/ingest/iot/tenant", payload, { "x-webhook-signature": signWebhook(secrets.webhookSecret, payload) })).status).toBe(200);
  });
});

describe("no webhook secret leaves the service", () => {
  it("no webhook secret in any response or log line", async () => {
    expect(h.responses.length).toBeGreaterThan(20);
    expect(h.logs.length).toBeGreaterThan(20);
    for (const secret of [secrets.webhookSecret, secrets.tenantWebhookSecret]) {
      expect([...h.responses, ...h.logs].filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe("without any secret configured", () => {
  it("refuses every webhook (fails closed)", async () => {
    const bare = await startHarness();
    try {
      const response = await fetch(`${bare.url}/api/v1/webhooks/ingest/iot/none`, {
        method: "POST",
        headers: { authorization: `Bearer ${bare.ownerKey}`, "content-type": "application/json", "x-webhook-signature": signWebhook("anything-at-all-1234", payload) },
        body: payload,
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toContain("no webhook secret is configured");
    } finally {
      await bare.close();
    }
  });
});

describe("replayed deliveries", () => {
  const price = (value: number) => JSON.stringify({ records: [{ name: "Widget", source_id: "w-1", price: value }] });
  const sign = (body: string, ts?: number) => ({
    ...(ts === undefined ? {} : { "x-webhook-timestamp": String(ts) }),
    "x-webhook-signature": signWebhook(secrets.webhookSecret, body, ts),
  });
  const priceOf = async (scope: string) => (await h.request("GET", `/api/v1/records/${scope}/w-1`)).body.vertical_data.price;

  it("a captured request replayed inside the 300 s window is answered with its first summary and not applied again", async () => {
    const ts = Math.floor(Date.now() / 1000);
    const v1 = price(10);
    const first = await post("/api/v1/webhooks/ingest/replay/timed", v1, sign(v1, ts));
    expect(first.status).toBe(200);
    const v2 = price(99);
    expect((await post("/api/v1/webhooks/ingest/replay/timed", v2, sign(v2, ts + 1))).status).toBe(200);
    const replay = await post("/api/v1/webhooks/ingest/replay/timed", v1, sign(v1, ts));
    expect(replay).toEqual({ status: 200, body: first.body });
    expect(await priceOf("replay/timed")).toBe(99); // not rolled back
  });

  it("an untimestamped delivery replayed later is not applied again either (within the retention window)", async () => {
    const v1 = price(10);
    const first = await post("/api/v1/webhooks/ingest/replay/untimed", v1, sign(v1));
    const v2 = price(99);
    await post("/api/v1/webhooks/ingest/replay/untimed", v2, sign(v2));
    const replay = await post("/api/v1/webhooks/ingest/replay/untimed", v1, sign(v1));
    expect(replay).toEqual({ status: 200, body: first.body });
    expect(await priceOf("replay/untimed")).toBe(99);
  });

  it("names a delivery by its webhook id when sent: a retry with the same id is the same delivery", async () => {
    const v1 = price(1);
    const first = await post("/api/v1/webhooks/ingest/replay/byid", v1, { ...sign(v1), "x-webhook-id": "msg_01" });
    const v2 = price(2);
    const again = await post("/api/v1/webhooks/ingest/replay/byid", v2, { ...sign(v2), "x-webhook-id": "msg_01" });
    expect(again).toEqual({ status: 200, body: first.body });
    expect(await priceOf("replay/byid")).toBe(1);
    const other = await post("/api/v1/webhooks/ingest/replay/byid", v2, { ...sign(v2), "webhook-id": "msg_02" });
    expect(other.body.ingestion_id).not.toBe(first.body.ingestion_id);
    expect(await priceOf("replay/byid")).toBe(2);
  });

  it("10 copies of one delivery sent at once are stored once", async () => {
    const body = price(7);
    const answers = await Promise.all(Array.from({ length: 10 }, () => post("/api/v1/webhooks/ingest/replay/burst", body, sign(body))));
    const stored = answers.filter((a) => a.status === 200);
    expect(new Set(stored.map((a) => a.body.ingestion_id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a).toMatchObject({ status: 409, body: { error: "conflict" } });
    const ingestions = (await h.service.services.db.send(new ScanCommand({ TableName: h.service.services.config.controlTable }))).Items!.filter(
      (item) => item.kind === "webhook" && item.collection === "replay" && item.record_type === "burst",
    );
    expect(ingestions).toHaveLength(1);
  });

  it("a delivery refused before storing (bad body) is not remembered: fixed and resent, it is applied", async () => {
    const bad = '{"records": "nope"}';
    expect((await post("/api/v1/webhooks/ingest/replay/fixed", bad, sign(bad))).status).toBe(400);
    const good = price(5);
    expect((await post("/api/v1/webhooks/ingest/replay/fixed", good, sign(good))).status).toBe(200);
  });
});

describe("WEBHOOK_REQUIRE_TIMESTAMP", () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await startHarness({ WEBHOOK_SECRET: secrets.webhookSecret, WEBHOOK_REQUIRE_TIMESTAMP: "true" });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it("refuses a signature without X-Webhook-Timestamp with 401, stores nothing, and accepts a timestamped one", async () => {
    const body = JSON.stringify({ records: [{ name: "x", source_id: "x" }] });
    const untimed = await strict.request("POST", "/api/v1/webhooks/ingest/strict/r", { raw: body, contentType: "application/json", key: strict.ownerKey });
    expect(untimed.status).toBe(401);
    const response = await fetch(`${strict.url}/api/v1/webhooks/ingest/strict/r`, {
      method: "POST",
      headers: { authorization: `Bearer ${strict.ownerKey}`, "content-type": "application/json", "x-webhook-signature": signWebhook(secrets.webhookSecret, body) },
      body,
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(/X-Webhook-Timestamp is required/);
    expect((await strict.request("GET", "/api/v1/records/strict/r")).body.items).toEqual([]);
    const ts = Math.floor(Date.now() / 1000);
    const timed = await fetch(`${strict.url}/api/v1/webhooks/ingest/strict/r`, {
      method: "POST",
      headers: { authorization: `Bearer ${strict.ownerKey}`, "content-type": "application/json", "x-webhook-timestamp": String(ts), "x-webhook-signature": signWebhook(secrets.webhookSecret, body, ts) },
      body,
    });
    expect(timed.status).toBe(200);
  });
});
