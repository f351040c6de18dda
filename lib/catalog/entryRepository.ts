// Catalog entries in the control table: pk TENANT#<t>, sk CATALOG#<entry_id>; GSI1 lists one
// connector's entries by name (gsi1pk TENANT#<t>#CATALOG#<connector>, gsi1sk <name>#<entry_id>).
// Entry ids are derived from connector, origin and natural key, so a sync finds its entries again.
import { createHash } from "node:crypto";
import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { batchWrite } from "../store/batch.js";
import { decodePageCursor, encodeCursor, type Page, type PageRead } from "../store/cursor.js";
import { GSI1, withoutStorage } from "../store/tables.js";
import type { CatalogItem, EntryOrigin } from "./types.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const PREFIX = "CATALOG#";
const byConnector = (tenant: string, connectorId: string) => `TENANT#${tenant}#CATALOG#${connectorId}`;

// A sort key stops at 1024 bytes: 200 code points (at most 800 bytes) order names well enough.
const sortName = (name: string) => [...name.toLowerCase()].slice(0, 200).join("");

export function entryId(connectorId: string, origin: EntryOrigin, key: string): string {
  const digest = createHash("sha256").update(`${connectorId}\0${origin}\0${key}`).digest("base64url");
  return `cat_${digest.slice(0, 26).toLowerCase().replace(/[-_]/g, "0")}`;
}

const strip = (item: Record<string, unknown>) => withoutStorage<CatalogItem>(item, "name_lower");

export interface CatalogFilter {
  connectorId?: string;
  /** Case-insensitive substring of the entry's name. */
  q?: string;
  limit: number;
  cursor?: string;
}

export class CatalogEntryRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes whole entries (BatchWriteItem with retry); the caller holds the connector's sync lease. */
  async putAll(items: CatalogItem[]): Promise<void> {
    await batchWrite(
      this.db,
      this.table,
      items.map((item) => ({
        pk: partition(item.tenant),
        sk: PREFIX + item.entry_id,
        gsi1pk: byConnector(item.tenant, item.connector_id),
        gsi1sk: `${sortName(item.name)}#${item.entry_id}`,
        name_lower: item.name.toLowerCase(),
        ...item,
      })),
    );
  }

  async get(tenant: string, id: string): Promise<CatalogItem> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: PREFIX + id } }));
    if (!Item) throw new NotFoundError("catalog entry", id);
    return strip(Item);
  }

  /** Every entry of one connector and origin, removed ones included (what a sync reconciles with). */
  async allOf(tenant: string, connectorId: string, origin: EntryOrigin): Promise<CatalogItem[]> {
    return this.drain({
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :pk",
      FilterExpression: "#origin = :origin",
      ExpressionAttributeNames: { "#origin": "origin" },
      ExpressionAttributeValues: { ":pk": byConnector(tenant, connectorId), ":origin": origin },
    });
  }

  /**
   * Marks every entry of a deleted connector removed (kept, like an entry a sync no longer
   * finds), so the catalog stops listing it as present and dbt entries no longer link to it.
   */
  async markConnectorRemoved(tenant: string, connectorId: string, now: string): Promise<number> {
    const present = (
      await this.drain({
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": byConnector(tenant, connectorId) },
      })
    ).filter((item) => !item.removed);
    await this.putAll(present.map((item) => ({ ...item, removed: true, removed_at: now, updated_at: now })));
    return present.length;
  }

  /** How many of the connector's entries are present (not removed): its product count. */
  async countLive(tenant: string, connectorId: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: "gsi1pk = :pk",
          FilterExpression: "#removed = :no",
          ExpressionAttributeNames: { "#removed": "removed" },
          ExpressionAttributeValues: { ":pk": byConnector(tenant, connectorId), ":no": false },
          Select: "COUNT",
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** The tenant's discovered tables and views still present: what dbt entries link to. */
  async discoveredRelations(tenant: string): Promise<CatalogItem[]> {
    return this.drain({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      FilterExpression: "#origin = :origin AND #removed = :no AND (#kind = :table OR #kind = :view)",
      ExpressionAttributeNames: { "#origin": "origin", "#removed": "removed", "#kind": "kind" },
      ExpressionAttributeValues: { ":pk": partition(tenant), ":prefix": PREFIX, ":origin": "discovery", ":no": false, ":table": "table", ":view": "view" },
    });
  }

  private async drain(input: Omit<QueryCommandInput, "TableName">): Promise<CatalogItem[]> {
    const items: CatalogItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ TableName: this.table, ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []).map(strip));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** A page of the tenant's catalog (or one connector's, by name), optionally searched by name. */
  async list(tenant: string, filter: CatalogFilter): Promise<Page<CatalogItem>> {
    const values: Record<string, unknown> = {};
    const read: PageRead = { pk: partition(tenant), prefix: PREFIX };
    let input: Omit<QueryCommandInput, "TableName">;
    if (filter.connectorId) {
      read.gsi1pk = byConnector(tenant, filter.connectorId);
      values[":pk"] = read.gsi1pk;
      input = { IndexName: GSI1, KeyConditionExpression: "gsi1pk = :pk" };
    } else {
      values[":pk"] = read.pk;
      values[":prefix"] = PREFIX;
      input = { KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)" };
    }
    if (filter.q) {
      values[":q"] = filter.q.toLowerCase();
      input.FilterExpression = "contains(name_lower, :q)";
    }
    const items: CatalogItem[] = [];
    let start: Record<string, unknown> | undefined = decodePageCursor(filter.cursor, read);
    // Limit counts evaluated items, so asking for what is still missing keeps LastEvaluatedKey an
    // exact resume point when the search drops items.
    do {
      const page = await this.db.send(
        new QueryCommand({ TableName: this.table, ...input, ExpressionAttributeValues: values, ExclusiveStartKey: start, Limit: filter.limit - items.length }),
      );
      items.push(...(page.Items ?? []).map(strip));
      start = page.LastEvaluatedKey;
    } while (start && items.length < filter.limit);
    return { items, next_cursor: encodeCursor(start) };
  }
}
