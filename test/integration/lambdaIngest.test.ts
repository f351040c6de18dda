// The ingest and webhook Lambda handlers, driven with API Gateway HTTP API (v2) events against
// dynalite: a webhook body that arrives base64-encoded is verified on its decoded raw bytes.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDocumentClient } from "../../lib/store/client.js";
import { signWebhook } from "../../lib/ingest/webhookSignature.js";
import { secrets } from "../support/harness.js";
import { httpApiEvent, startLambdaStore, type LambdaHandler, type LambdaStore } from "../support/lambdaEvents.js";

let lambda: LambdaStore;
let webhook: LambdaHandler;
let ingest: LambdaHandler;

beforeAll(async () => {
  lambda = await startLambdaStore({ WEBHOOK_SECRET: secrets.webhookSecret });
  webhook = (await import("../../functions/webhook.js")).handler as unknown as LambdaHandler;
  ingest = (await import("../../functions/ingest.js")).handler as unknown as LambdaHandler;
});
afterAll(async () => {
  await lambda?.close();
});

// Non-ASCII text: its UTF-8 bytes, their base64 text and a latin-1 reading all differ.
const body = Buffer.from(JSON.stringify({ records: [{ name: "Straße 5 — Köln", source_id: "k-1", vertical_data: { note: "naïve ☃" } }] }), "utf8");
const path = "/api/v1/webhooks/ingest/iot/lambda";

it("verifies a base64-encoded webhook body on its decoded bytes and stores it", async () => {
  const ts = Math.floor(Date.now() / 1000);
  const headers = { "x-webhook-signature": signWebhook(secrets.webhookSecret, body, ts), "x-webhook-timestamp": String(ts) };
  const response = await webhook(httpApiEvent("POST", path, { key: lambda.key, body, base64: true, headers }), {});
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toMatchObject({ record_count: 1, accepted: 1 });

  const stored = await ingest(httpApiEvent("GET", `/api/v1/ingestions/${JSON.parse(response.body).ingestion_id}`, { key: lambda.key }), {});
  expect(JSON.parse(stored.body)).toMatchObject({ kind: "webhook", accepted: 1 });
});

it("refuses a base64 body whose signature was made over the base64 text, storing nothing", async () => {
  const encoded = body.toString("base64");
  const headers = { "x-webhook-signature": signWebhook(secrets.webhookSecret, encoded) };
  const response = await webhook(httpApiEvent("POST", "/api/v1/webhooks/ingest/iot/wrong", { key: lambda.key, body, base64: true, headers }), {});
  expect(response.statusCode).toBe(401);
  expect(JSON.parse(response.body).error).toBe("invalid_signature");
  const { Items } = await createDocumentClient(lambda.client).send(new ScanCommand({ TableName: "lambda-records" }));
  // Records of a collection spread over its shards: REC#<tenant>#<collection>#<record_type>#<shard>.
  expect(Items?.some((item) => String(item.pk).startsWith("REC#t1#iot#wrong#"))).toBe(false);
  expect(Items?.some((item) => String(item.pk).startsWith("REC#t1#iot#lambda#"))).toBe(true);
});

it("serves batches and NDJSON streams from the ingest function, and only its own routes", async () => {
  const batch = await ingest(httpApiEvent("POST", "/api/v1/ingest/iot/batch1/batch", { key: lambda.key, body: '{"records":[{"name":"a"},{"nome":"b"}]}' }), {});
  expect(batch.statusCode).toBe(200);
  expect(JSON.parse(batch.body)).toMatchObject({ accepted: 1, rejected: 1 });
  const lines = '{"name":"x","source_id":"1"}\n{"name":"y","source_id":"2"}\n';
  const stream = await ingest(httpApiEvent("POST", "/api/v1/ingest/iot/stream1/stream", { key: lambda.key, body: lines, base64: true, headers: { "content-type": "application/x-ndjson" } }), {});
  expect(stream.statusCode).toBe(200);
  expect(JSON.parse(stream.body)).toMatchObject({ lines: 2, accepted: 2 });
  expect((await ingest(httpApiEvent("POST", path, { key: lambda.key, body }), {})).statusCode).toBe(404);
  expect((await webhook(httpApiEvent("POST", "/api/v1/ingest/iot/x/batch", { key: lambda.key, body }), {})).statusCode).toBe(404);
});
