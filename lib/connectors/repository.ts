// Connector items in the control table: pk TENANT#<tenant>, sk CONNECTOR#<id>. Every update is
// conditioned on the version it read (no transactions: single-item conditional writes).
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConflictError, NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { decodeCursor, encodeCursor, type Page } from "../store/cursor.js";
import type { ConnectorItem, ConnectorStatus, ConnectorType } from "./types.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const sortKey = (id: string) => `CONNECTOR#${id}`;

export interface ConnectorFilter {
  type?: ConnectorType;
  status?: ConnectorStatus;
  limit: number;
  cursor?: string;
}

function strip(item: Record<string, unknown>): ConnectorItem {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as ConnectorItem;
}

export class ConnectorRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async insert(item: ConnectorItem): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: partition(item.tenant), sk: sortKey(item.id), ...item },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async get(tenant: string, id: string): Promise<ConnectorItem> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: sortKey(id) }, ConsistentRead: true }),
    );
    if (!Item) throw new NotFoundError("connector", id);
    return strip(Item);
  }

  /** Replaces the item if nobody wrote it since `expectedVersion`; the stored version is bumped. */
  async replace(item: ConnectorItem, expectedVersion: number): Promise<ConnectorItem> {
    const next = { ...item, version: expectedVersion + 1 };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: partition(item.tenant), sk: sortKey(item.id), ...next },
          ConditionExpression: "attribute_exists(pk) AND version = :expected",
          ExpressionAttributeValues: { ":expected": expectedVersion },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new ConflictError("the connector was changed or deleted by another request; read it again and retry");
      }
      throw error;
    }
    return next;
  }

  async remove(tenant: string, id: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: partition(tenant), sk: sortKey(id) },
          ConditionExpression: "attribute_exists(pk)",
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("connector", id);
      throw error;
    }
  }

  async list(tenant: string, filter: ConnectorFilter): Promise<Page<ConnectorItem>> {
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ":pk": partition(tenant), ":prefix": "CONNECTOR#" };
    const names: Record<string, string> = {};
    if (filter.type) {
      conditions.push("connector_type = :type");
      values[":type"] = filter.type;
    }
    if (filter.status) {
      conditions.push("#status = :status");
      names["#status"] = "status";
      values[":status"] = filter.status;
    }
    const items: ConnectorItem[] = [];
    let start: Record<string, unknown> | undefined = decodeCursor(filter.cursor, { attribute: "pk", value: partition(tenant) });
    // Limit counts evaluated items, so asking for what is still missing keeps the
    // LastEvaluatedKey an exact resume point even when a filter drops items.
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          FilterExpression: conditions.length ? conditions.join(" AND ") : undefined,
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: start,
          Limit: filter.limit - items.length,
        }),
      );
      items.push(...(page.Items ?? []).map(strip));
      start = page.LastEvaluatedKey;
    } while (start && items.length < filter.limit);
    return { items, next_cursor: encodeCursor(start) };
  }

  /** Every connector of every tenant (key rotation). */
  async *scanAll(): AsyncIterable<ConnectorItem> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: "begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":prefix": "CONNECTOR#" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) yield strip(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
