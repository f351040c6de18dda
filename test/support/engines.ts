// The DynamoDB engines store suites run against, for `describe.each(dynamoEngines)`: dynalite
// in process (fast) and AWS's DynamoDB Local (the reference behaviour).
import { waitUntilTableExists, type DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
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
