// The connectors Lambda handler, driven with API Gateway HTTP API (v2) events against dynalite:
// proves the AWS wiring (config from the environment, key ring, store) end to end.
import { afterAll, beforeAll, expect, it } from "vitest";
import { secrets, seeds } from "../support/harness.js";
import { httpApiEvent, startLambdaStore, type LambdaHandler, type LambdaStore } from "../support/lambdaEvents.js";

let lambda: LambdaStore;
let handler: LambdaHandler;

function event(method: string, path: string, body?: string, base64 = false) {
  return httpApiEvent(method, path, { key: lambda.key, body, base64 });
}

beforeAll(async () => {
  lambda = await startLambdaStore();
  handler = (await import("../../functions/connectors.js")).handler as unknown as LambdaHandler;
});
afterAll(async () => {
  await lambda?.close();
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
