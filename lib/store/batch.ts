// BatchWriteItem and BatchGetItem in chunks of the API's limits (25 puts, 100 keys), a few
// chunks in flight at once, each retrying what DynamoDB left unprocessed, or a call it refused
// for throttling, with exponential backoff and full jitter, a bounded number of times. No
// transactions: a failed call can leave earlier chunks written, so callers write idempotently
// (records upsert by key).
import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchGetCommandInput,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { UnprocessedItemsError } from "./errors.js";

export const WRITE_CHUNK = 25;
export const GET_CHUNK = 100;

export interface BatchOptions {
  /** Chunks in flight at once; default 4. */
  concurrency?: number;
  /**
   * Calls per chunk without progress, before UnprocessedItemsError; default 8. A call that gets
   * any item through starts the count again (it is the first), and the backoff with it.
   */
  maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The same two limits while calls are refused whole for throttling (ProvisionedThroughput-
   * ExceededException, ThrottlingException, RequestLimitExceeded); default 30 calls, 1,000 ms.
   */
  throttledMaxAttempts?: number;
  throttledMaxDelayMs?: number;
}

/*
 * Why throttling gets more attempts and shorter waits. DynamoDB refuses a whole batch only when
 * it could take none of it, and only after the SDK's own retries of that call (createDynamoClient:
 * 5 attempts). Partial throttling (UnprocessedItems) is progress and restarts the count, so what
 * the budget bounds is time without any progress. A partition's 1,000 WCU/s come back within the
 * rolling second, so a wait much past a second leaves it idle (in the throttling model a cap of
 * 5 s wrote one key at two thirds of its limit, 1 s at 90 %); but an on-demand table scaling up, or
 * several pulls on one collection, can refuse for longer than the 8 calls × 2 s cap of
 * unprocessed items cover (~2.6 s, 5.2 s at most). 30 calls capped at 1 s wait ~13 s in a row
 * (26 s at most) on top of the SDK's retries, while a table that never takes a write still fails
 * the pull within a minute rather than at the Lambda deadline.
 */
const THROTTLING = new Set(["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]);

export interface BatchGetOptions extends BatchOptions {
  consistentRead?: boolean;
}

type Item = Record<string, unknown>;
type WriteRequests = NonNullable<BatchWriteCommandInput["RequestItems"]>[string];
type KeysAndAttributes = NonNullable<BatchGetCommandInput["RequestItems"]>[string];

/**
 * Puts every item. Keys must be unique across `putItems`: DynamoDB rejects a chunk naming
 * one key twice.
 */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, putItems: Item[], options: BatchOptions = {}): Promise<void> {
  await eachChunk(putItems, WRITE_CHUNK, options, async (chunk) => {
    let pending: WriteRequests = chunk.map((Item) => ({ PutRequest: { Item } }));
    await withRetry("BatchWriteItem", table, options, pending.length, async () => {
      const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = UnprocessedItems?.[table] ?? [];
      return pending.length;
    });
  });
}

/**
 * Reads the items at `keys` (unique), in no particular order; missing keys are simply
 * absent. A projection should name the key attributes if the caller matches results to keys.
 */
export async function batchGet(
  db: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
  projection?: string[],
  options: BatchGetOptions = {},
): Promise<Item[]> {
  const found: Item[] = [];
  const shape: Omit<KeysAndAttributes, "Keys"> = {};
  if (projection?.length) {
    shape.ProjectionExpression = projection.map((_, i) => `#p${i}`).join(", ");
    shape.ExpressionAttributeNames = Object.fromEntries(projection.map((name, i) => [`#p${i}`, name]));
  }
  if (options.consistentRead) shape.ConsistentRead = true;
  await eachChunk(keys, GET_CHUNK, options, async (chunk) => {
    let pending: KeysAndAttributes = { ...shape, Keys: chunk };
    await withRetry("BatchGetItem", table, options, chunk.length, async () => {
      const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [table]: pending } }));
      found.push(...(Responses?.[table] ?? []));
      const left = UnprocessedKeys?.[table]?.Keys ?? [];
      pending = { ...shape, Keys: left };
      return left.length;
    });
  });
  return found;
}

/**
 * Calls `attempt` until it reports nothing left, sleeping with backoff in between. `attempt`
 * returns how many items are still pending; a throttling error counts as none taken.
 */
async function withRetry(
  operation: "BatchWriteItem" | "BatchGetItem",
  table: string,
  options: BatchOptions,
  pending: number,
  attempt: () => Promise<number>,
): Promise<void> {
  const { maxAttempts = 8, baseDelayMs = 50, maxDelayMs = 2_000, throttledMaxAttempts = 30, throttledMaxDelayMs = 1_000 } = options;
  let stalled = 0;
  for (let call = 1; ; call++) {
    let left = pending;
    let refused = false;
    try {
      left = await attempt();
    } catch (error) {
      if (!(error instanceof Error && THROTTLING.has(error.name))) throw error;
      refused = true;
    }
    if (left === 0) return;
    stalled = left < pending ? 1 : stalled + 1;
    pending = left;
    if (stalled >= (refused ? throttledMaxAttempts : maxAttempts)) throw new UnprocessedItemsError(operation, table, left, call);
    await sleep(Math.random() * Math.min(refused ? throttledMaxDelayMs : maxDelayMs, baseDelayMs * 2 ** (stalled - 1)));
  }
}

/**
 * Runs `run` over consecutive chunks, at most `concurrency` at a time. After a failure no new
 * chunk starts; the first error is thrown once the chunks in flight have settled.
 */
async function eachChunk<T>(items: T[], size: number, options: BatchOptions, run: (chunk: T[]) => Promise<void>): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < chunks.length) {
      const chunk = chunks[next++]!;
      try {
        await run(chunk);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.min(Math.max(1, options.concurrency ?? 4), chunks.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
}
