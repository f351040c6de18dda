// Ingestion records and dead-letter entries in the control table. An ingestion: pk TENANT#<t>,
// sk INGEST#<id>. Dead-letter entries of an ingestion or of a pull run: pk TENANT#<t>#DLQ#<id>,
// sk their sequence number zero-padded, so a query reads them in the order they were found;
// they expire through DynamoDB TTL.
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { batchWrite } from "../store/batch.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { TTL_ATTRIBUTE, withoutStorage } from "../store/tables.js";
import type { DeadLetterEntry, IngestionRecord } from "./types.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const deadLetterPartition = (tenant: string, ownerId: string) => `TENANT#${tenant}#DLQ#${ownerId}`;
const SEQ_DIGITS = 12;

export class IngestionRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = 30,
  ) {}

  /** Writes the whole record (an ingestion is written only by the request that runs it). */
  async save(ingestion: IngestionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: partition(ingestion.tenant), sk: `INGEST#${ingestion.ingestion_id}`, ...ingestion } }),
    );
  }

  async get(tenant: string, ingestionId: string): Promise<IngestionRecord> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: `INGEST#${ingestionId}` }, ConsistentRead: true }),
    );
    if (!Item) throw new NotFoundError("ingestion", ingestionId);
    return withoutStorage<IngestionRecord>(Item);
  }

  async writeDeadLetters(tenant: string, entries: DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const expires = Math.floor(Date.now() / 1000) + this.retentionDays * 86_400;
    await batchWrite(
      this.db,
      this.table,
      entries.map((entry) => ({
        pk: deadLetterPartition(tenant, entry.ingestion_id),
        sk: String(entry.seq).padStart(SEQ_DIGITS, "0"),
        ...entry,
        [TTL_ATTRIBUTE]: expires,
      })),
    );
  }

  async listDeadLetters(tenant: string, ownerId: string, page: { limit: number; cursor?: string }): Promise<Page<DeadLetterEntry>> {
    const pk = deadLetterPartition(tenant, ownerId);
    const start = decodePageCursor(page.cursor, { pk });
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": pk },
        ExclusiveStartKey: start,
        Limit: page.limit,
      }),
    );
    const items = (result.Items ?? []).map((item) => withoutStorage<DeadLetterEntry>(item));
    return { items, next_cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
