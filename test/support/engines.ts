// The DynamoDB engines store suites run against, for `describe.each(dynamoEngines)`: dynalite
// in process (fast) and AWS's DynamoDB Local (the reference behaviour).
import { DynamoDBClient, waitUntilTableExists, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables, type TableNames } from "../../lib/store/tables.js";
import { startDynalite } from "../../lib/local/dynalite.js";
import { startDynamoDbLocal } from "./dynamoDbLocal.js";

export type DynamoEngineName = "dynalite" | "dynamodb-local";

export interface DynamoEngine {
  name: DynamoEngineName;
  endpoint: string;
  stop(): Promise<void>;
}

export const dynamoEngines: { name: DynamoEngineName; start(): Promise<DynamoEngine> }[] = [
  {
    name: "dynalite",
    async start() {
      const server = await startDynalite();
      return { name: "dynalite", endpoint: server.endpoint, stop: () => server.close() };
    },
  },
  {
    name: "dynamodb-local",
    async start() {
      const local = await startDynamoDbLocal();
      return { name: "dynamodb-local", endpoint: local.endpoint, stop: () => local.stop() };
    },
  },
];

/** Client settings for a local engine; neither checks the credentials, both need some. */
export function dynamoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  } satisfies DynamoDBClientConfig;
}

/**
 * Waits for a new table to turn ACTIVE. dynalite answers CreateTable with CREATING even with
 * createTableMs 0 and flips the status a moment later, which on a disk store is long enough
 * for the next request to get ResourceNotFoundException.
 */
export async function untilTableActive(client: DynamoDBClient, tableName: string): Promise<void> {
  await waitUntilTableExists(
    { client, minDelay: 0.02, maxDelay: 0.2, maxWaitTime: 10 },
    { TableName: tableName },
  );
}

export interface EngineHandle {
  client: DynamoDBClient;
  db: DynamoDBDocumentClient;
}

/**
 * For a store suite: starts the engine with the tables created before the suite's tests and
 * stops it after. The handle's clients are set once the suite's first beforeAll has run.
 */
export function useDynamoEngine(engine: { start(): Promise<DynamoEngine> }, tables: TableNames): EngineHandle {
  const handle = {} as EngineHandle;
  let running: DynamoEngine | undefined;
  beforeAll(async () => {
    running = await engine.start();
    handle.client = new DynamoDBClient(dynamoClientConfig(running.endpoint));
    handle.db = createDocumentClient(handle.client);
    await ensureTables(handle.client, tables);
  });
  afterAll(async () => {
    handle.client?.destroy();
    await running?.stop();
  });
  return handle;
}
