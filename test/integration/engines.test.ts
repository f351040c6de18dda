// The DynamoDB engines the store suites run on: each serves the operations the stores use,
// listens on loopback only, and dynalite keeps its data on disk across restarts.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { startDynalite } from "../../lib/local/dynalite.js";
import {
  dynamoClientConfig,
  dynamoEngines,
  untilTableActive,
  type DynamoEngine,
} from "../support/engines.js";

const TABLE = "engine_check";

describe.each(dynamoEngines)("$name", (engineSpec) => {
  let engine: DynamoEngine;
  let client: DynamoDBClient;

  beforeAll(async () => {
    const started = performance.now();
    engine = await engineSpec.start();
    console.info(`${engine.name} answered at ${engine.endpoint} after ${Math.round(performance.now() - started)} ms`);
    client = new DynamoDBClient(dynamoClientConfig(engine.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    await engine?.stop();
  });

  // A server given through DYNAMODB_LOCAL_ENDPOINT was not started here and may sit in
  // another network namespace (a container), so its socket is not ours to inspect.
  const external = engineSpec.name === "dynamodb-local" && !!process.env.DYNAMODB_LOCAL_ENDPOINT;
  it.skipIf(external)("listens on 127.0.0.1 only", async () => {
    const port = Number(new URL(engine.endpoint).port);
    expect(await listeningAddresses(port)).toEqual(["127.0.0.1"]);
  });

  it("creates a table with a hash+range key and a GSI", async () => {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
          { AttributeName: "gsi1pk", AttributeType: "S" },
          { AttributeName: "gsi1sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: "gsi1",
            KeySchema: [
              { AttributeName: "gsi1pk", KeyType: "HASH" },
              { AttributeName: "gsi1sk", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    await untilTableActive(client, TABLE);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(["gsi1"]);
  });

  it("puts, gets and queries by key and by GSI", async () => {
    const item = {
      pk: { S: "tenant#1" },
      sk: { S: "connector#a" },
      gsi1pk: { S: "kind#postgres" },
      gsi1sk: { S: "2024-01-01" },
      label: { S: "first" },
    };
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));

    const got = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
    );
    expect(got.Item).toEqual(item);

    const byKey = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": item.pk, ":prefix": { S: "connector#" } },
      }),
    );
    expect(byKey.Items).toEqual([item]);

    const byIndex = await client.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :kind AND gsi1sk > :after",
        ExpressionAttributeValues: { ":kind": item.gsi1pk, ":after": { S: "2023-12-31" } },
      }),
    );
    expect(byIndex.Items).toEqual([item]);
  });

  it("rejects a conditional put on an existing key with ConditionalCheckFailedException", async () => {
    const put = new PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: "tenant#1" }, sk: { S: "connector#a" }, label: { S: "second" } },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    await expect(client.send(put)).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const got = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: "tenant#1" }, sk: { S: "connector#a" } },
        ConsistentRead: true,
      }),
    );
    expect(got.Item?.label).toEqual({ S: "first" });
  });

  it("writes and deletes in one BatchWriteItem", async () => {
    const batch = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            ...["b", "c", "d"].map((id) => ({
              PutRequest: { Item: { pk: { S: "tenant#2" }, sk: { S: `connector#${id}` } } },
            })),
            { DeleteRequest: { Key: { pk: { S: "tenant#1" }, sk: { S: "connector#a" } } } },
          ],
        },
      }),
    );
    expect(batch.UnprocessedItems ?? {}).toEqual({});

    const tenant2 = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: "tenant#2" } },
      }),
    );
    expect(tenant2.Items?.map((item) => item.sk?.S)).toEqual(["connector#b", "connector#c", "connector#d"]);

    const deleted = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: "tenant#1" }, sk: { S: "connector#a" } },
        ConsistentRead: true,
      }),
    );
    expect(deleted.Item).toBeUndefined();
  });
});

describe("dynalite on disk", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dynalite-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads back after close and restart on the same path", async () => {
    const path = join(dir, "store");
    const key = { pk: { S: "persisted" } };

    const first = await startDynalite({ path });
    const writer = new DynamoDBClient(dynamoClientConfig(first.endpoint));
    try {
      await writer.send(
        new CreateTableCommand({
          TableName: TABLE,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        }),
      );
      await untilTableActive(writer, TABLE);
      await writer.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, value: { S: "kept" } } }));
    } finally {
      writer.destroy();
      await first.close();
    }

    const second = await startDynalite({ path });
    const reader = new DynamoDBClient(dynamoClientConfig(second.endpoint));
    try {
      const got = await reader.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));
      expect(got.Item).toEqual({ ...key, value: { S: "kept" } });
    } finally {
      reader.destroy();
      await second.close();
    }
  });

  it("refuses a path another dynalite holds, instead of crashing on its first request", async () => {
    const path = join(dir, "held");
    const holder = await startDynalite({ path });
    try {
      await expect(startDynalite({ path })).rejects.toThrow(/cannot be opened/);
    } finally {
      await holder.close();
    }
  });
});

/** Local addresses of the TCP listeners on `port`, from the kernel's socket tables. */
async function listeningAddresses(port: number): Promise<string[]> {
  const LISTEN = "0A";
  const addresses: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8");
    for (const line of text.trim().split("\n").slice(1)) {
      const [, local = "", , state] = line.trim().split(/\s+/);
      const [hexAddress = "", hexPort = ""] = local.split(":");
      if (state === LISTEN && parseInt(hexPort, 16) === port) addresses.push(decodeAddress(hexAddress));
    }
  }
  return addresses;
}

// The kernel prints addresses as 32-bit words in host (little-endian) byte order.
function decodeAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)),
  );
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  return groups.every((g) => g === 0) ? "::" : groups.map((g) => g.toString(16)).join(":");
}
