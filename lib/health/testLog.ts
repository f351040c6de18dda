// Connection test results kept for health (pk TENANT#<t>#TESTS#<connector>, sk <tested_at>#<id>),
// so latency and failures of the last day can be read back; DynamoDB TTL drops them after a week.
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ConnectionTestResult } from "../pull/connectionTest.js";
import { newId } from "../store/ids.js";
import { TTL_ATTRIBUTE, withoutStorage } from "../store/tables.js";

const KEEP_SECONDS = 7 * 86_400;
const partition = (tenant: string, connectorId: string) => `TENANT#${tenant}#TESTS#${connectorId}`;

export type LoggedTest = ConnectionTestResult;

export class TestLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async save(tenant: string, connectorId: string, result: ConnectionTestResult): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: partition(tenant, connectorId),
          sk: `${result.tested_at}#${newId("test")}`,
          ...result,
          [TTL_ATTRIBUTE]: Math.floor(Date.parse(result.tested_at) / 1000) + KEEP_SECONDS,
        },
      }),
    );
  }

  /** The connector's tests since `since`, newest first. */
  async since(tenant: string, connectorId: string, since: Date): Promise<LoggedTest[]> {
    const found: LoggedTest[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND sk >= :since",
          ExpressionAttributeValues: { ":pk": partition(tenant, connectorId), ":since": since.toISOString() },
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        found.push(withoutStorage<LoggedTest>(item));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }
}
