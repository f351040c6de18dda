// Sync records (the history of metadata syncs and manifest imports) in the control table:
// pk TENANT#<t>, sk SYNC#<id> lists the tenant's, newest first (ids are ULIDs); GSI1
// (TENANT#<t>#SYNCS#<connector>) lists one connector's.
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { DEFAULT_SPACE } from "../connectors/spaces.js";
import { GSI1, withoutStorage } from "../store/tables.js";
import type { SyncRecord } from "./types.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const PREFIX = "SYNC#";
const byConnector = (tenant: string, connectorId: string) => `TENANT#${tenant}#SYNCS#${connectorId}`;

const itemOf = (record: SyncRecord) => ({ pk: partition(record.tenant), sk: PREFIX + record.id, gsi1pk: byConnector(record.tenant, record.connector_id), gsi1sk: record.id, ...record });

const strip = (item: Record<string, unknown>) => withoutStorage<SyncRecord>(item);

export class SyncRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the whole record (one sync writes its own record, so last write wins). */
  async save(record: SyncRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: itemOf(record) }));
  }

  /**
   * Writes the record only while the stored one is still `running`: settling a sync someone else
   * is finishing must not overwrite its outcome. False when it was no longer running.
   */
  async saveIfRunning(record: SyncRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: itemOf(record),
          ConditionExpression: "#status = :running",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":running": "running" },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(tenant: string, id: string): Promise<SyncRecord> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: PREFIX + id }, ConsistentRead: true }));
    if (!Item) throw new NotFoundError("sync", id);
    return strip(Item);
  }

  /**
   * Newest first, the tenant's, one connector's, or one space's, with the total count of that
   * history. Records made before spaces have none stored: they are the default space's.
   */
  async list(tenant: string, filter: { connectorId?: string; space?: string; limit: number; cursor?: string }): Promise<Page<SyncRecord> & { total: number }> {
    const query: Omit<QueryCommandInput, "TableName"> = filter.connectorId
      ? { IndexName: GSI1, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": byConnector(tenant, filter.connectorId) } }
      : { KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)", ExpressionAttributeValues: { ":pk": partition(tenant), ":prefix": PREFIX } };
    if (filter.space !== undefined) {
      query.FilterExpression = filter.space === DEFAULT_SPACE ? "attribute_not_exists(#space) OR #space = :space" : "#space = :space";
      query.ExpressionAttributeNames = { "#space": "space" };
      query.ExpressionAttributeValues = { ...query.ExpressionAttributeValues, ":space": filter.space };
    }
    const items: SyncRecord[] = [];
    let start: Record<string, unknown> | undefined = decodePageCursor(filter.cursor, { pk: partition(tenant), prefix: PREFIX, ...(filter.connectorId ? { gsi1pk: byConnector(tenant, filter.connectorId) } : {}) });
    // Limit counts evaluated items: asking for what is still missing keeps LastEvaluatedKey an
    // exact resume point when the space filter drops some.
    do {
      const page = await this.db.send(
        new QueryCommand({ TableName: this.table, ...query, ScanIndexForward: false, Limit: filter.limit - items.length, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []).map(strip));
      start = page.LastEvaluatedKey;
    } while (start && items.length < filter.limit);
    let total = 0;
    let counting: Record<string, unknown> | undefined;
    do {
      const counted = await this.db.send(new QueryCommand({ TableName: this.table, ...query, Select: "COUNT", ExclusiveStartKey: counting }));
      total += counted.Count ?? 0;
      counting = counted.LastEvaluatedKey;
    } while (counting);
    return { items, next_cursor: encodeCursor(start), total };
  }
}
