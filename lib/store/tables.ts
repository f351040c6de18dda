// Table layout: a control table (API keys, connectors, leases, runs, ingestions, schemas,
// catalog) keyed pk/sk with one GSI, and a records table for the data plane.
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

export interface TableNames {
  control: string;
  records: string;
}

/** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes expired items. */
export const TTL_ATTRIBUTE = "expires_at";
export const GSI1 = "gsi1";

/** Attributes that only address an item (keys, GSI1 keys) or expire it: never part of what it holds. */
const STORAGE_ATTRIBUTES = ["pk", "sk", "gsi1pk", "gsi1sk", TTL_ATTRIBUTE];

/** A stored item as its repository hands it out: without its storage attributes, nor `also`. */
export function withoutStorage<T>(item: Record<string, unknown>, ...also: string[]): T {
  const out = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete out[name];
  for (const name of also) delete out[name];
  return out as T;
}

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  const keyed = (TableName: string): CreateTableCommandInput => ({
    TableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
  });
  const control = keyed(names.control);
  control.AttributeDefinitions!.push(
    { AttributeName: "gsi1pk", AttributeType: "S" },
    { AttributeName: "gsi1sk", AttributeType: "S" },
  );
  control.GlobalSecondaryIndexes = [
    {
      IndexName: GSI1,
      KeySchema: [
        { AttributeName: "gsi1pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ];
  return [control, keyed(names.records)];
}

async function waitUntilActive(client: DynamoDBClient, TableName: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE");
    if (Table?.TableStatus === "ACTIVE" && indexesReady) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`table ${TableName} did not become ACTIVE`);
}

/**
 * Creates missing tables (local runtime and tests); deployed tables come from the CDK stack.
 * Without `records` only the control table: the local runtime's records live in SQLite.
 */
export async function ensureTables(client: DynamoDBClient, names: { control: string; records?: string }): Promise<void> {
  const definitions = tableDefinitions({ control: names.control, records: names.records ?? "" });
  for (const definition of definitions.filter((d) => d.TableName !== "")) {
    const TableName = definition.TableName!;
    try {
      await client.send(new DescribeTableCommand({ TableName }));
      continue;
    } catch (error) {
      if (!(error instanceof Error && error.name === "ResourceNotFoundException")) throw error;
    }
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
    }
    await waitUntilActive(client, TableName);
    try {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }),
      );
    } catch (error) {
      // dynalite has no TTL API; expiry is then only enforced by readers checking expires_at.
      if (!(error instanceof Error && /UnknownOperation|not supported/i.test(`${error.name} ${error.message}`))) throw error;
    }
  }
}
