// Run records (sync history) in the control table: pk TENANT#<t>, sk RUN#<run_id>; GSI1 lists a
// connector's runs newest first (run ids are ULIDs, so they sort by start time).
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { GSI1, withoutStorage } from "../store/tables.js";
import type { RunRecord } from "./types.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const historyKey = (tenant: string, connectorId: string) => `TENANT#${tenant}#RUNS#${connectorId}`;

const strip = (item: Record<string, unknown>) => withoutStorage<RunRecord>(item);

export class RunRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the whole run (runs are written by their one pull, so last write wins). */
  async save(run: RunRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: partition(run.tenant),
          sk: `RUN#${run.run_id}`,
          gsi1pk: historyKey(run.tenant, run.connector_id),
          gsi1sk: run.run_id,
          ...run,
        },
      }),
    );
  }

  /**
   * Takes a begun run for the worker, once: Lambda may deliver an asynchronous invoke twice.
   * The taken run, or undefined when it is no longer running or another delivery took it.
   */
  async claim(tenant: string, runId: string, at: string): Promise<RunRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partition(tenant), sk: `RUN#${runId}` },
          UpdateExpression: "SET worker_started_at = :at",
          ConditionExpression: "#status = :running AND attribute_not_exists(worker_started_at)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":at": at, ":running": "running" },
          ReturnValues: "ALL_NEW",
        }),
      );
      return strip(Attributes!);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async get(tenant: string, runId: string): Promise<RunRecord> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: `RUN#${runId}` }, ConsistentRead: true }),
    );
    if (!Item) throw new NotFoundError("run", runId);
    return strip(Item);
  }

  async listForConnector(tenant: string, connectorId: string, page: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    const key = historyKey(tenant, connectorId);
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": key },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodePageCursor(page.cursor, { pk: partition(tenant), prefix: "RUN#", gsi1pk: key }),
      }),
    );
    return { items: (result.Items ?? []).map(strip), next_cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
