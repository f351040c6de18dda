// The DynamoDB rate limiter (AWS, and any deployment sharing one store): a bucket is one control
// table item (pk RATELIMIT#<bucket>) holding its GCRA arrival time, changed only by conditional
// UpdateItems whose condition is the admission rule itself. Every container shares the item, so
// the combined rate is limited; no read-modify-write window exists for two of them to both win.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../store/client.js";
import { TTL_ATTRIBUTE } from "../store/tables.js";
import { admits, decisionAt, gcraShape, latestAdmissible, type RateDecision, type RateLimiter, type RatePolicy } from "./contract.js";

const keyOf = (bucket: string) => ({ pk: `RATELIMIT#${bucket}`, sk: "RATELIMIT" });
/** Rounds lost to other containers' writes before a request is refused as if the bucket were empty. */
const ATTEMPTS = 5;
/** Buckets whose last known arrival time this container remembers, to try the likelier write first. */
const HINTS = 10_000;

type Branch = "idle" | "busy";

export class DynamoRateLimiter implements RateLimiter {
  private readonly hints = new Map<string, number>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A bucket is idle (never used, or its arrival time passed: full) or busy (arrival time ahead,
   * not past the admission limit). Each branch is one conditional write; the one this container
   * last saw goes first. When both conditions fail the bucket is over its limit, unless another
   * container moved it in between: a consistent read tells, and a race goes round again.
   */
  async take(bucket: string, policy: RatePolicy): Promise<RateDecision> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const now = this.now();
      const hint = this.hints.get(bucket);
      const order: Branch[] = hint !== undefined && hint > now ? ["busy", "idle"] : ["idle", "busy"];
      for (const branch of order) {
        const tat = await this.write(bucket, policy, branch, now);
        if (tat !== undefined) {
          this.remember(bucket, tat);
          return decisionAt(tat, now, policy, true);
        }
      }
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: keyOf(bucket), ConsistentRead: true }));
      const tat = Item?.tat as number | undefined;
      if (tat !== undefined && !admits(tat, now, policy)) {
        this.remember(bucket, tat);
        return decisionAt(tat, now, policy, false);
      }
    }
    // Lost every round to other containers: the bucket is that contended, so this one waits.
    const now = this.now();
    return decisionAt(latestAdmissible(now, policy) + gcraShape(policy).interval, now, policy, false);
  }

  /** The arrival time the write left, or undefined when its condition did not hold. */
  private async write(bucket: string, policy: RatePolicy, branch: Branch, now: number): Promise<number | undefined> {
    const { interval, capacity } = gcraShape(policy);
    // After `now + capacity` the bucket is full whatever the item says, so TTL may remove it then.
    const expires = Math.ceil((now + capacity) / 1000) + 60;
    const idle = {
      UpdateExpression: "SET tat = :next, #ttl = :expires",
      ConditionExpression: "attribute_not_exists(tat) OR tat < :now",
      ExpressionAttributeValues: { ":next": now + interval, ":now": now, ":expires": expires },
    };
    const busy = {
      UpdateExpression: "SET tat = tat + :interval, #ttl = :expires",
      ConditionExpression: "tat BETWEEN :now AND :latest",
      ExpressionAttributeValues: { ":interval": interval, ":now": now, ":latest": latestAdmissible(now, policy), ":expires": expires },
    };
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(bucket),
          ...(branch === "idle" ? idle : busy),
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Attributes!.tat as number;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  private remember(bucket: string, tat: number): void {
    if (this.hints.size >= HINTS) this.hints.clear();
    this.hints.set(bucket, tat);
  }
}
