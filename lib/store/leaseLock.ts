// Leases in the control table (pk LEASE#<name>, sk LEASE): one holder at a time (one pull per
// connector), taken with a conditional put when free or expired, renewed and released only by
// its owner. expires_at lets DynamoDB TTL remove leases nobody released, a day after expiry.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "./client.js";
import { type LeaseHolder, LeaseHeldError, LeaseLostError } from "./errors.js";
import { TTL_ATTRIBUTE } from "./tables.js";

export { LeaseHeldError, LeaseLostError } from "./errors.js";

export interface Lease {
  name: string;
  owner: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface LeaseLockOptions {
  /** Lease duration from each acquire or renewal; default 5 minutes. */
  ttlMs?: number;
  /** Epoch ms; a test moves it to expire leases. */
  now?: () => number;
}

const CLEANUP_AFTER_SECONDS = 86_400;
// A lease released between our failed put and our read is free again: try the put once more.
const ACQUIRE_ATTEMPTS = 3;

export class LeaseLock {
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    options: LeaseLockOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs > 0)) throw new RangeError("ttlMs must be positive");
  }

  /**
   * Takes the lease if it is free or expired; otherwise LeaseHeldError with the holder. With
   * `reclaim`, also when `owner` itself holds it: a restarted process whose predecessor (known
   * dead) held it for the same run.
   */
  async acquire(name: string, owner: string, options: { reclaim?: boolean } = {}): Promise<Lease> {
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const lease = { name, owner, expiresAt: now + this.ttlMs };
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...key(name), owner, lease_expires_at: lease.expiresAt, [TTL_ATTRIBUTE]: cleanupAt(lease.expiresAt) },
            ConditionExpression: `attribute_not_exists(pk) OR lease_expires_at < :now${options.reclaim ? " OR #owner = :owner" : ""}`,
            ExpressionAttributeValues: { ":now": now, ...(options.reclaim ? { ":owner": owner } : {}) },
            ...(options.reclaim ? { ExpressionAttributeNames: { "#owner": "owner" } } : {}),
          }),
        );
        return lease;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      const holder = await this.lastHolder(name);
      if (holder && holder.expiresAt >= this.now()) throw new LeaseHeldError(name, holder);
      // Released or expired in between, yet the put keeps losing: others are taking it in turn.
      if (attempt >= ACQUIRE_ATTEMPTS) throw new LeaseHeldError(name, holder ?? { owner: "unknown", expiresAt: this.now() });
    }
  }

  /** Who holds or last held the lease (expired or not); undefined once it was released. */
  async lastHolder(name: string): Promise<LeaseHolder | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key(name), ConsistentRead: true }));
    return Item ? { owner: Item.owner as string, expiresAt: Item.lease_expires_at as number } : undefined;
  }

  /** True while someone holds the lease and it has not expired. */
  async isHeld(name: string): Promise<boolean> {
    const holder = await this.lastHolder(name);
    return holder !== undefined && holder.expiresAt >= this.now();
  }

  /** Extends the lease by the ttl from now; LeaseLostError if another owner has it (or nobody). */
  async renew(lease: Lease): Promise<Lease> {
    const expiresAt = this.now() + this.ttlMs;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(lease.name),
          UpdateExpression: "SET lease_expires_at = :expires, #ttl = :cleanup",
          ConditionExpression: "#owner = :me",
          ExpressionAttributeNames: { "#owner": "owner", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":expires": expiresAt, ":cleanup": cleanupAt(expiresAt), ":me": lease.owner },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new LeaseLostError(lease.name, lease.owner);
      throw error;
    }
    return { ...lease, expiresAt };
  }

  /** Deletes the lease if this owner still holds it; one already taken over is left alone. */
  async release(lease: Lease): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: key(lease.name),
          ConditionExpression: "#owner = :me",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":me": lease.owner },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * Renews every ttl/3 until stop(); calls onLost once if a renewal fails: at once when
   * another owner has the lease, or when other errors (network, throttling) went on until the
   * lease would have expired. Nothing is renewed after onLost. stop() waits for a renewal in
   * flight, so a release after it cannot race a renewal.
   */
  keepAlive(lease: Lease, onLost: (error: Error) => void): { stop(): Promise<void> } {
    let current = lease;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();

    const lose = (error: Error) => {
      try {
        onLost(error);
      } catch {
        // A throw here would be uncaught in a timer callback and end the process.
      }
    };
    const tick = async () => {
      try {
        current = await this.renew(current);
      } catch (error) {
        if (stopped) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        if (error instanceof LeaseLostError || this.now() >= current.expiresAt) return lose(failure);
      }
      schedule();
    };
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopped) inFlight = tick();
      }, this.ttlMs / 3);
    };
    schedule();

    return {
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await inFlight;
      },
    };
  }
}

function key(name: string) {
  return { pk: `LEASE#${name}`, sk: "LEASE" };
}

function cleanupAt(expiresAtMs: number): number {
  return Math.ceil(expiresAtMs / 1000) + CLEANUP_AFTER_SECONDS;
}
