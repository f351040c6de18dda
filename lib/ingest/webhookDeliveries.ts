// Webhook deliveries already received, so a replay is not applied twice: a delivery is named by
// its webhook id (X-Webhook-Id, or Standard Webhooks' webhook-id) or else by its signature — the
// MAC over the exact bytes (and timestamp), which a replay carries unchanged. Each is claimed with
// a conditional write before its records are stored, and kept for the retention window with the
// id of the ingestion it became; a later copy is answered with that ingestion's summary.
// Control table: pk TENANT#<t>, sk WEBHOOK#<key>.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../store/client.js";
import { TTL_ATTRIBUTE } from "../store/tables.js";

const partition = (tenant: string) => `TENANT#${tenant}`;
const sortKey = (key: string) => `WEBHOOK#${key}`;
/** A claim whose request never finished (its process died) is taken over after this long. */
const ABANDONED_MS = 120_000;

export type DeliveryClaim = { taken: true } | { taken: false; ingestionId: string | null };

export class WebhookDeliveries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** How long a delivery is remembered (DynamoDB TTL; readers check the expiry too). */
    private readonly retentionSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes the delivery for this request, or says who has it: the ingestion it became, or null
   * while another request is storing it.
   */
  async claim(tenant: string, key: string): Promise<DeliveryClaim> {
    const now = this.now();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: partition(tenant), sk: sortKey(key), claimed_at: now, ingestion_id: null, [TTL_ATTRIBUTE]: Math.ceil(now / 1000) + this.retentionSeconds },
          // Free, expired (dynalite has no TTL), or claimed by a request that never finished.
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :nowSeconds OR (ingestion_id = :none AND claimed_at < :abandoned)",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":nowSeconds": Math.floor(now / 1000), ":none": null, ":abandoned": now - ABANDONED_MS },
        }),
      );
      return { taken: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: sortKey(key) }, ConsistentRead: true }));
    return { taken: false, ingestionId: (Item?.ingestion_id as string | null | undefined) ?? null };
  }

  /** The claimed delivery was stored as this ingestion. */
  async complete(tenant: string, key: string, ingestionId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partition(tenant), sk: sortKey(key) },
        UpdateExpression: "SET ingestion_id = :id",
        ExpressionAttributeValues: { ":id": ingestionId },
      }),
    );
  }

  /** The claimed delivery was not stored (refused, or a failure of ours): the sender may retry it. */
  async release(tenant: string, key: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: partition(tenant), sk: sortKey(key) },
        ConditionExpression: "ingestion_id = :none",
        ExpressionAttributeValues: { ":none": null },
      }),
    ).catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
  }
}
