// Connector items in the control table: pk TENANT#<tenant>, sk CONNECTOR#<id>. Every update is
// conditioned on the version it read (no transactions: single-item conditional writes).
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConflictError, NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { VersionConflictError } from "./errors.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import type { ConnectorItem, ConnectorStatus, ConnectorType } from "./types.js";
import { DEFAULT_SPACE } from "./spaces.js";
import { withoutStorage } from "../store/tables.js";

const partition = (tenant: string) => `TENANT#${tenant}`;

// What callers set through the API; everything else on the item is state.
const settingsFields = [
  "name", "collection", "record_type", "query", "name_column", "id_column", "batch_size", "parallelism",
  "schedule", "timezone", "description", "envelope", "config_redacted", "updated_at", "space", "source_system_id",
] as const;
type StateField =
  | "status" | "last_error" | "last_pull_at" | "watermark" | "disabled_at" | "disabled_reason" | "disabled_by" | "last_tested_at" | "last_test_status"
  | "last_scheduled_at" | "last_sync";
const sortKey = (id: string) => `CONNECTOR#${id}`;

export interface ConnectorFilter {
  type?: ConnectorType;
  status?: ConnectorStatus;
  space?: string;
  limit: number;
  cursor?: string;
}

const strip = (item: Record<string, unknown>) => withoutStorage<ConnectorItem>(item);

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

  /**
   * Writes what a caller sets (settings, envelope) if nobody changed them since
   * `expectedVersion` (VersionConflictError otherwise) and no pull is running. State fields
   * (status, errors, watermark) are written by `setState` and never overwritten here.
   */
  async updateSettings(item: ConnectorItem, expectedVersion: number, options: { allowRunning?: boolean } = {}): Promise<ConnectorItem> {
    const values: Record<string, unknown> = { ":expected": expectedVersion, ":next": expectedVersion + 1 };
    const names: Record<string, string> = { "#version": "version" };
    const sets = ["#version = :next"];
    for (const field of settingsFields) {
      // A field an item made before it existed does not have stays absent (read as its default).
      if (item[field] === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = item[field];
      sets.push(`#${field} = :${field}`);
    }
    let condition = "attribute_exists(pk) AND #version = :expected";
    if (!options.allowRunning) {
      condition += " AND #status <> :running";
      names["#status"] = "status";
      values[":running"] = "running";
    }
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partition(item.tenant), sk: sortKey(item.id) },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return strip(Attributes!);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await this.get(item.tenant, item.id);
      if (current.status === "running" && !options.allowRunning) {
        throw new ConflictError("cannot update a connector while its pull is running; retry when it has finished");
      }
      throw new VersionConflictError();
    }
  }

  /**
   * Writes state fields (status, last_error, watermark…) without touching settings or version.
   * With `unlessRunning`, refuses (ConflictError) while a pull runs.
   */
  async setState(
    tenant: string,
    id: string,
    state: Partial<Pick<ConnectorItem, StateField>>,
    options: { unlessRunning?: boolean } = {},
  ): Promise<void> {
    const entries = Object.entries(state).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    const names: Record<string, string> = Object.fromEntries(entries.map(([field]) => [`#${field}`, field]));
    const values: Record<string, unknown> = Object.fromEntries(entries.map(([field, value]) => [`:${field}`, value]));
    let condition = "attribute_exists(pk)";
    if (options.unlessRunning) {
      condition += " AND #status_now <> :running_now";
      names["#status_now"] = "status";
      values[":running_now"] = "running";
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partition(tenant), sk: sortKey(id) },
          UpdateExpression: `SET ${entries.map(([field]) => `#${field} = :${field}`).join(", ")}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      await this.get(tenant, id); // NotFoundError when it is gone
      throw new ConflictError("a pull of this connector is running; retry when it has finished");
    }
  }

  /** Deletes the connector; unless forced, not while its pull is running. */
  async remove(tenant: string, id: string, options: { force?: boolean } = {}): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: partition(tenant), sk: sortKey(id) },
          ConditionExpression: options.force ? "attribute_exists(pk)" : "attribute_exists(pk) AND #status <> :running",
          ExpressionAttributeNames: options.force ? undefined : { "#status": "status" },
          ExpressionAttributeValues: options.force ? undefined : { ":running": "running" },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      await this.get(tenant, id); // NotFoundError when it is gone
      throw new ConflictError("cannot delete a connector while its pull is running; use ?force=true to delete anyway");
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
    if (filter.space) {
      // Connectors made before spaces have none stored: they are the default space's.
      conditions.push(filter.space === DEFAULT_SPACE ? "(attribute_not_exists(#space) OR #space = :space)" : "#space = :space");
      names["#space"] = "space";
      values[":space"] = filter.space;
    }
    const items: ConnectorItem[] = [];
    let start: Record<string, unknown> | undefined = decodePageCursor(filter.cursor, { pk: partition(tenant), prefix: sortKey("") });
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
