// API Gateway HTTP API (payload v2) events for driving the Lambda handlers in tests, and a
// dynalite store with the tables and an owner key those handlers find through the environment.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ApiKeyRepository } from "../../lib/apiKeys/apiKeys.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { startDynalite, type DynaliteServer } from "../../lib/local/dynalite.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig } from "./engines.js";

export type LambdaHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string; isBase64Encoded?: boolean }>;

export interface HttpEventOptions {
  key: string;
  body?: string | Uint8Array;
  base64?: boolean;
  headers?: Record<string, string>;
}

export function httpApiEvent(method: string, path: string, options: HttpEventOptions) {
  const { body, base64 = false } = options;
  const bytes = body === undefined ? undefined : Buffer.from(body);
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: { authorization: `Bearer ${options.key}`, "content-type": "application/json", host: "api.example.com", ...options.headers },
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
    body: bytes === undefined ? undefined : base64 ? bytes.toString("base64") : bytes.toString("utf8"),
    isBase64Encoded: base64,
  };
}

export interface LambdaStore {
  store: DynaliteServer;
  client: DynamoDBClient;
  /** An owner key of tenant t1. */
  key: string;
  close(): Promise<void>;
}

/** dynalite with the tables, an owner key, and the environment the AWS runtime reads. */
export async function startLambdaStore(env: Record<string, string> = {}): Promise<LambdaStore> {
  const store = await startDynalite();
  const client = new DynamoDBClient(dynamoClientConfig(store.endpoint));
  await ensureTables(client, { control: "lambda-control", records: "lambda-records" });
  const key = (await new ApiKeyRepository(createDocumentClient(client), "lambda-control", "live").create({ tenant: "t1", role: "owner" })).key;
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: store.endpoint,
    CONTROL_TABLE: "lambda-control",
    RECORDS_TABLE: "lambda-records",
    CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(),
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: "us-east-1",
    LOG_LEVEL: "error",
    // The AWS runtime refuses private hosts by default; the test servers listen on loopback.
    ALLOW_PRIVATE_NETWORKS: "true",
    ...env,
  });
  return {
    store,
    client,
    key,
    close: async () => {
      client.destroy();
      await store.close();
    },
  };
}
