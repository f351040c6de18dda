// Deliveries, stored before anything is sent (so none is lost: at least once) and kept as the
// delivery log: pk TENANT#<t>, sk EVENT_DELIVERY#<subscription>#<id>, expiring after the
// retention (TTL). A pending one is also in GSI1 under EVENT_PENDING, sorted by its next attempt,
// which is how the deliverer finds what is due; the index entry goes when it is delivered or given up.
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../store/client.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { newId } from "../store/ids.js";
import { GSI1, withoutStorage } from "../store/tables.js";
import type { DeliveryAttempt, EventDelivery, EventType, StoredDelivery } from "./contract.js";

const PENDING = "EVENT_PENDING";
const partition = (tenant: string) => `TENANT#${tenant}`;
const prefixOf = (subscriptionId: string) => `EVENT_DELIVERY#${subscriptionId}#`;
const keyOf = (d: { tenant: string; subscription_id: string; id: string }) => ({ pk: partition(d.tenant), sk: `${prefixOf(d.subscription_id)}${d.id}` });
/** Past every ISO timestamp of the same instant: `<iso>~` sorts after `<iso>#<id>`. */
const upTo = (iso: string) => `${iso}~`;
const stored = (item: Record<string, unknown>) => withoutStorage<StoredDelivery>(item, "claim", "claimed_until");

/** How an attempt ended: delivered, to be tried again at a time, or given up. */
export type AttemptOutcome = { status: "delivered" } | { status: "pending"; next_attempt_at: string } | { status: "failed" };

export class EventDeliveries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  async enqueue(tenant: string, subscriptionId: string, type: EventType, body: string, now: Date): Promise<StoredDelivery> {
    const at = now.toISOString();
    const delivery: StoredDelivery = {
      id: newId("msg"), tenant, subscription_id: subscriptionId, event_type: type, body, status: "pending",
      attempt_count: 0, attempts: [], created_at: at, next_attempt_at: at, delivered_at: null,
    };
    const expires_at = Math.floor(now.getTime() / 1000) + this.retentionDays * 86_400;
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...keyOf(delivery), ...delivery, gsi1pk: PENDING, gsi1sk: `${at}#${delivery.id}`, expires_at } }),
    );
    return delivery;
  }

  /** Pending deliveries whose next attempt is due, oldest first (the index is eventually consistent: claims decide). */
  async due(now: Date, limit: number): Promise<StoredDelivery[]> {
    return (await this.pending("<=", now, limit)).map(stored);
  }

  /** When the next pending delivery not yet due is, if any. */
  async nextAfter(now: Date): Promise<Date | undefined> {
    const next = (await this.pending(">", now, 1))[0]?.next_attempt_at;
    return typeof next === "string" ? new Date(next) : undefined;
  }

  /** Pending deliveries by next attempt: those due by `now` (`<=`), or those after it (`>`). */
  private async pending(op: "<=" | ">", now: Date, limit: number): Promise<Record<string, unknown>[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: `gsi1pk = :pending AND gsi1sk ${op} :now`,
        ExpressionAttributeValues: { ":pending": PENDING, ":now": upTo(now.toISOString()) },
        Limit: limit,
      }),
    );
    return Items ?? [];
  }

  /** Takes a due delivery for one attempt until `until`; undefined when it is not due, done, or another attempt holds it. */
  async claim(delivery: StoredDelivery, token: string, now: Date, until: Date): Promise<StoredDelivery | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(delivery),
          UpdateExpression: "SET claim = :token, claimed_until = :until",
          ConditionExpression: "#status = :pending AND next_attempt_at <= :now AND (attribute_not_exists(claimed_until) OR claimed_until < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":token": token, ":until": until.toISOString(), ":pending": "pending", ":now": now.toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return stored(Attributes!);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Gives a claim back without an attempt counted (the process is stopping). */
  async release(delivery: StoredDelivery, token: string): Promise<void> {
    await this.db
      .send(new UpdateCommand({ TableName: this.table, Key: keyOf(delivery), UpdateExpression: "REMOVE claim, claimed_until", ConditionExpression: "claim = :token", ExpressionAttributeValues: { ":token": token } }))
      .catch((error: unknown) => {
        if (!isConditionalCheckFailed(error)) throw error;
      });
  }

  /** Logs an attempt under the claim and moves the delivery on; false when the claim was lost meanwhile. */
  async record(delivery: StoredDelivery, token: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<boolean> {
    const values: Record<string, unknown> = { ":token": token, ":attempt": [attempt], ":one": 1, ":status": outcome.status };
    let update = "SET attempts = list_append(attempts, :attempt), attempt_count = attempt_count + :one, #status = :status";
    if (outcome.status === "pending") {
      update += ", next_attempt_at = :next, gsi1sk = :sort REMOVE claim, claimed_until";
      Object.assign(values, { ":next": outcome.next_attempt_at, ":sort": `${outcome.next_attempt_at}#${delivery.id}` });
    } else {
      update += ", next_attempt_at = :none, delivered_at = :delivered REMOVE claim, claimed_until, gsi1pk, gsi1sk";
      Object.assign(values, { ":none": null, ":delivered": outcome.status === "delivered" ? attempt.at : null });
    }
    try {
      await this.db.send(
        new UpdateCommand({ TableName: this.table, Key: keyOf(delivery), UpdateExpression: update, ConditionExpression: "claim = :token", ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: values }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** A subscription's delivery log, newest first, without what has expired. */
  async list(tenant: string, subscriptionId: string, page: { limit: number; cursor?: string }, now = new Date()): Promise<Page<EventDelivery>> {
    const prefix = prefixOf(subscriptionId);
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        // dynalite has no TTL: expired entries are hidden here, as DynamoDB would have deleted them.
        FilterExpression: "expires_at > :now",
        ExpressionAttributeValues: { ":pk": partition(tenant), ":prefix": prefix, ":now": Math.floor(now.getTime() / 1000) },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodePageCursor(page.cursor, { pk: partition(tenant), prefix }),
      }),
    );
    const items = (result.Items ?? []).map((item) => withoutStorage<EventDelivery>(item, "tenant", "claim", "claimed_until"));
    return { items, next_cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
