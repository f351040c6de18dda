// The connectors Lambda handler, driven with API Gateway HTTP API (v2) events against dynalite:
// proves the AWS wiring (config from the environment, key ring, store) end to end.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApiKeyRepository } from "../../lib/apiKeys/apiKeys.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { startDynalite, type DynaliteServer } from "../../lib/local/dynalite.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig } from "../support/engines.js";
import { secrets, seeds } from "../support/harness.js";

let store: DynaliteServer;
let client: DynamoDBClient;
let key: string;
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string; isBase64Encoded?: boolean }>;
let handler: Handler;

function event(method: string, path: string, body?: string, base64 = false) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", host: "api.example.com" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "req-1",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "22/Nov/2026:10:00:00 +0000",
      timeEpoch: Date.now(),
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64,
  };
}

beforeAll(async () => {
  store = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "lambda-control", records: "lambda-records" });
  key = (await new ApiKeyRepository(createDocumentClient(client), "lambda-control", "live").create({ tenant: "t1", role: "owner" })).key;
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: store.endpoint,
    CONTROL_TABLE: "lambda-control",
    RECORDS_TABLE: "lambda-records",
    CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(),
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: "us-east-1",
    LOG_LEVEL: "error",
  });
  handler = (await import("../../functions/connectors.js")).handler as unknown as Handler;
});
afterAll(async () => {
  client?.destroy();
  await store?.close();
});

it("creates and reads a connector through an HTTP API v2 event, with a base64-encoded body", async () => {
  const created = await handler(event("POST", "/api/v1/connectors", JSON.stringify(seeds.querriPostgres), true), {});
  expect(created.statusCode).toBe(201);
  const body = JSON.parse(created.body);
  expect(body.connection_config.password).toBe("***REDACTED***");
  expect(created.body).not.toContain(secrets.querriPassword);

  const read = await handler(event("GET", `/api/v1/connectors/${body.id}`), {});
  expect(read.statusCode).toBe(200);
  expect(JSON.parse(read.body).id).toBe(body.id);
});

it("answers JSON errors from the Lambda too", async () => {
  const bad = await handler(event("POST", "/api/v1/connectors", "{oops"), {});
  expect(bad.statusCode).toBe(400);
  expect(JSON.parse(bad.body).error).toBe("validation_error");
  const missing = await handler(event("GET", "/api/v1/connectors/conn_missing"), {});
  expect(missing.statusCode).toBe(404);
});
