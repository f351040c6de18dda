// BatchWriteItem and BatchGetItem in chunks of the API's limits (25 puts, 100 keys), a few
// chunks in flight at once, each retrying what DynamoDB left unprocessed with exponential
// backoff and full jitter, a bounded number of times. No transactions: a failed call can
// leave earlier chunks written, so callers write idempotently (records upsert by key).
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
  /** Calls per chunk, the first included, before UnprocessedItemsError; default 8. */
  maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

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
    await withRetry("BatchWriteItem", table, options, async () => {
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
    await withRetry("BatchGetItem", table, options, async () => {
      const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [table]: pending } }));
      found.push(...(Responses?.[table] ?? []));
      const left = UnprocessedKeys?.[table]?.Keys ?? [];
      pending = { ...shape, Keys: left };
      return left.length;
    });
  });
  return found;
}

/** Calls `attempt` until it reports nothing left, sleeping with backoff in between. */
async function withRetry(
  operation: "BatchWriteItem" | "BatchGetItem",
  table: string,
  options: BatchOptions,
  attempt: () => Promise<number>,
): Promise<void> {
  const { maxAttempts = 8, baseDelayMs = 50, maxDelayMs = 2_000 } = options;
  for (let call = 1; ; call++) {
    const left = await attempt();
    if (left === 0) return;
    if (call >= maxAttempts) throw new UnprocessedItemsError(operation, table, left, call);
    await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (call - 1)));
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
