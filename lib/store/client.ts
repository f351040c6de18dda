// The DynamoDB document client, built once per runtime from an endpoint (dynalite, DynamoDB
// Local) or the AWS default chain.
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface StoreConnection {
  endpoint?: string;
  region: string;
}

export function createDynamoClient(connection: StoreConnection): DynamoDBClient {
  const config: DynamoDBClientConfig = { region: connection.region, maxAttempts: 5 };
  if (connection.endpoint) {
    config.endpoint = connection.endpoint;
    // Embedded engines accept any credentials; real ones come from the default chain.
    config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return new DynamoDBClient(config);
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
