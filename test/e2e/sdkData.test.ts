// The TypeScript SDK (`sluice/client`) against the real local service, data and transport: records
// page by page, batches and NDJSON streams with backpressure, schemas, webhook signatures the
// service verifies, API keys, and retries of idempotent calls behind a flaky proxy.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sluice, SluiceConnectionError } from "sluice/client";
import { LOOPBACK } from "../support/servers/net.js";
import { restConnector, startClientFixture, failure, type ClientFixture } from "./clientFixtures.js";

let f: ClientFixture;
let sluice: Sluice;
beforeAll(async () => {
  f = await startClientFixture();
  sluice = new Sluice({ baseUrl: f.h.url, apiKey: f.h.ownerKey });
}, 120_000);
afterAll(async () => {
  await f?.close();
});

describe("records and ingestion", () => {
  it("pushes a batch and reads every record back, page by page", async () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ name: `Widget ${i}`, source_id: `w-${i}`, vertical_data: { i } }));
    expect(await sluice.ingest.batch("sdk_batch", "widget", [...records, { source_id: "nameless" }] as never)).toMatchObject({ record_count: 6, accepted: 5, rejected: 1 });
    expect(await sluice.records.get("sdk_batch", "widget", "w-3")).toMatchObject({ source_id: "w-3", name: "Widget 3", vertical_data: { i: 3 } });
    let pages = 0;
    for await (const page of sluice.records.pages("sdk_batch", "widget", { limit: 2 })) pages += page.items.length ? 1 : 0;
    expect(pages).toBe(3);
    const ids: string[] = [];
    for await (const record of sluice.records.iterate("sdk_batch", "widget", { limit: 2 })) ids.push(record.source_id);
    expect(ids.sort()).toEqual(records.map((r) => r.source_id).sort());
  });

  it("streams NDJSON from an async iterable: records, lines and bytes, with dead letters", async () => {
    async function* events() {
      for (let i = 0; i < 3000; i++) yield { name: `Event ${i}`, source_id: `e-${i}`, value: i };
      yield "{oops";
      yield new TextEncoder().encode('{"name":"raw bytes","source_id":"raw"}\n');
    }
    let bytes = 0;
    const summary = await sluice.ingest.stream("sdk_stream", "event", events(), { onBytes: (sent) => (bytes = sent) });
    expect(summary).toMatchObject({ ingestion_id: expect.stringMatching(/^ing_/), lines: 3002, record_count: 3002, accepted: 3001, rejected: 1 });
    expect(bytes).toBeGreaterThan(3000 * 30);
    expect(await sluice.ingest.get(summary.ingestion_id)).toMatchObject({ kind: "stream", status: "completed", accepted: 3001 });
    const errors = await sluice.ingest.errors(summary.ingestion_id);
    expect(errors.items).toEqual([expect.objectContaining({ line: 3001, excerpt: "{oops" })]);
    const iterated = [];
    for await (const entry of sluice.ingest.iterateErrors(summary.ingestion_id, { limit: 1 })) iterated.push(entry);
    expect(iterated).toEqual(errors.items);
    expect(await sluice.records.get("sdk_stream", "event", "raw")).toMatchObject({ name: "raw bytes" });
  });

  it("reads the source only as fast as the receiver takes the body (backpressure)", async () => {
    // A server that accepts the upload and never reads it: the sender must stall, not buffer.
    const sockets: Socket[] = [];
    const stalled = createTcpServer((socket) => {
      sockets.push(socket);
      socket.pause();
    });
    await new Promise<void>((resolve) => stalled.listen(0, LOOPBACK, resolve));
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 1024;
        yield { name: "x".repeat(1000) };
      }
    }
    const stuck = new Sluice({ baseUrl: `http://${LOOPBACK}:${(stalled.address() as AddressInfo).port}`, apiKey: "sk_local_unused" });
    const upload = stuck.ingest.stream("c", "r", endless()).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const afterOneSecond = produced;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(produced).toBe(afterOneSecond); // stalled: nothing more drawn from the source
    expect(produced).toBeLessThan(64 * 1024 * 1024); // socket buffers' worth, not an unbounded read
    sockets.forEach((socket) => socket.destroy());
    stalled.close();
    expect(await upload).toBeInstanceOf(SluiceConnectionError);
  });

  it("schemas: put, get, delete", async () => {
    const schema = { type: "object", properties: { value: { type: "number" } }, required: ["value"] };
    expect(await sluice.schemas.put("sdk_schema", "reading", schema)).toMatchObject({ collection: "sdk_schema", record_type: "reading", schema });
    expect(await sluice.schemas.get("sdk_schema", "reading")).toMatchObject({ schema });
    expect(await sluice.ingest.batch("sdk_schema", "reading", [{ name: "bad", value: "high" }] as never)).toMatchObject({ accepted: 0, rejected: 1 });
    await sluice.schemas.delete("sdk_schema", "reading");
    expect(await failure(sluice.schemas.get("sdk_schema", "reading"))).toMatchObject({ status: 404, error: "not_found" });
  });
});

describe("webhooks", () => {
  const secret = "sdk-webhook-S3cret-0123456789";

  it("signs what the service verifies, with and without a timestamp", async () => {
    expect(await sluice.webhooks.setSecret(secret)).toMatchObject({ source: "tenant" });
    expect(await sluice.webhooks.secretStatus()).toMatchObject({ source: "tenant" });
    const sent = await sluice.webhooks.send("sdk_hooks", "event", { records: [{ name: "Sensor 1", source_id: "s-1" }] }, { secret });
    expect(sent).toMatchObject({ status: "completed", accepted: 1 });

    // sign() alone, sent by hand: the exact bytes, the header value the service compares.
    const body = '{"records":[{"name":"Sensor 2","source_id":"s-2"}]}';
    const timestamp = Math.floor(Date.now() / 1000);
    const signed: Record<string, string>[] = [
      { "x-webhook-signature": sluice.webhooks.sign(body, secret) },
      { "x-webhook-signature": sluice.webhooks.sign(Buffer.from(body.replace("Sensor 2", "Sensor 3")), secret, timestamp), "x-webhook-timestamp": String(timestamp) },
    ];
    for (const headers of signed) {
      const raw = headers["x-webhook-timestamp"] ? body.replace("Sensor 2", "Sensor 3") : body;
      const response = await fetch(`${f.h.url}/api/v1/webhooks/ingest/sdk_hooks/event`, {
        method: "POST",
        headers: { authorization: `Bearer ${f.h.ownerKey}`, "content-type": "application/json", ...headers },
        body: raw,
      });
      expect(response.status, await response.clone().text()).toBe(200);
    }
    expect(sluice.webhooks.sign(body, secret)).toMatch(/^sha256=[0-9a-f]{64}$/);

    const wrong = await failure(sluice.webhooks.send("sdk_hooks", "event", body, { secret: "not-the-secret-0123456789" }));
    expect(wrong).toMatchObject({ status: 401, error: "invalid_signature" });
    await sluice.webhooks.deleteSecret();
    expect(await sluice.webhooks.secretStatus()).toMatchObject({ source: "none" });
    expect(f.h.logs.join("\n")).not.toContain(secret);
  });
});

describe("api keys", () => {
  it("creates, lists and revokes; a viewer key is refused writes", async () => {
    const created = await sluice.apiKeys.create({ role: "viewer", name: "sdk viewer" });
    expect(created).toMatchObject({ key_id: expect.stringMatching(/^key_/), role: "viewer", key: expect.stringMatching(/^sk_local_/) });
    expect((await sluice.apiKeys.list()).items.map((k) => k.key_id)).toContain(created.key_id);
    const viewer = new Sluice({ baseUrl: f.h.url, apiKey: created.key });
    expect((await viewer.connectors.list()).items).toEqual(expect.any(Array));
    expect(await failure(viewer.connectors.create(restConnector(f.api) as never))).toMatchObject({ status: 403, error: "forbidden" });
    await sluice.apiKeys.revoke(created.key_id);
    expect(await failure(viewer.connectors.list())).toMatchObject({ status: 401, error: "unauthorized" });
  });
});

describe("retries", () => {
  let proxy: Server;
  let proxyUrl: string;
  /** Answers per request, in order: a status to refuse with, or "pass" to forward to the service. */
  let script: Array<number | "pass">;
  const seen: string[] = [];

  beforeAll(async () => {
    proxy = createHttpServer(async (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const step = script.shift() ?? "pass";
      if (step !== "pass") {
        res.writeHead(step, { "content-type": "application/json", ...(step === 429 ? { "retry-after": "0" } : {}) });
        res.end(JSON.stringify({ error: step === 429 ? "rate_limited" : "unavailable", message: `scripted ${step}` }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(f.h.url + req.url, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, LOOPBACK, resolve));
    proxyUrl = `http://${LOOPBACK}:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  const client = () => new Sluice({ baseUrl: proxyUrl, apiKey: f.h.ownerKey, retry: { baseDelayMs: 10 } });

  it("retries idempotent calls on 5xx and 429 (Retry-After), then answers", async () => {
    script = [503, 429, 502, "pass"];
    seen.length = 0;
    expect((await client().apiKeys.list()).items.length).toBeGreaterThan(0);
    expect(seen).toEqual(Array(4).fill("GET /api/v1/api-keys"));
  });

  it("gives up after the retries with the last error", async () => {
    script = [503, 503, 503, 503, 503];
    seen.length = 0;
    expect(await failure(client().connectors.list())).toMatchObject({ status: 503, error: "unavailable", message: "scripted 503" });
    expect(seen).toHaveLength(4);
  });

  it("never repeats a call that is not idempotent", async () => {
    script = [503, "pass"];
    seen.length = 0;
    expect(await failure(client().ingest.batch("sdk_retry", "x", [{ name: "once" }] as never))).toMatchObject({ status: 503 });
    expect(seen).toEqual(["POST /api/v1/ingest/sdk_retry/x/batch"]);
    expect(await failure(sluice.records.get("sdk_retry", "x", "anything"))).toMatchObject({ status: 404 });
  });

  it("a service that is not there is a SluiceConnectionError", async () => {
    proxy.closeAllConnections();
    const closed = new Sluice({ baseUrl: "http://127.0.0.1:9", apiKey: f.h.ownerKey, retry: { retries: 1, baseDelayMs: 10 } });
    expect(await failure(closed.connectors.list())).toBeInstanceOf(SluiceConnectionError);
  });
});
