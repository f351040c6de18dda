// A model of DynamoDB's per-partition write limit over a real client (dynalite, DynamoDB Local),
// for the shard tests and bench: middleware that counts the write units each partition key took
// in the last second and, past the limit, leaves a BatchWriteItem's excess items in
// UnprocessedItems — or refuses the call with ProvisionedThroughputExceededException when it can
// take none of them, as DynamoDB does — and refuses a PutItem over the limit. It runs before the
// SDK's own retries, so a refusal reaches the caller's code as DynamoDB's would after them.
import { ProvisionedThroughputExceededException, type BatchWriteItemCommandOutput, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface ThrottleOptions {
  /** Write units one partition key takes per rolling second; default 1,000 (DynamoDB's). */
  writeUnitsPerSecond?: number;
  /** The table's partition key attribute; default "pk". */
  partitionKey?: string;
  /** Milliseconds, monotonic; default performance.now. */
  now?: () => number;
}

export interface ThrottleModel {
  /** Write units taken, per partition key, since the model was added (or reset). */
  readonly writeUnits: Map<string, number>;
  /** Writes turned away (left unprocessed or refused), per partition key. */
  readonly throttled: Map<string, number>;
  /** Calls refused whole with ProvisionedThroughputExceededException. */
  readonly refusals: number;
  /** Writes turned away, over all keys. */
  readonly throttledTotal: number;
  reset(): void;
  /** Takes the middleware off the client. */
  remove(): void;
}

type Item = Record<string, unknown>;
type WriteRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };

const NAME = "throttleModel";
const WINDOW_MS = 1_000;

/**
 * Write units of an item: one per started KB of its JSON (the form it is sent in, so the low-level
 * client's typed values count a little more than the document client's), at least one.
 */
export function writeUnitsOf(item: Item): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item)) / 1024));
}

/** Adds the model to `client`; document clients made from it share the client's middleware. */
export function throttleWrites(client: DynamoDBClient, options: ThrottleOptions = {}): ThrottleModel {
  const { writeUnitsPerSecond = 1_000, partitionKey = "pk", now = () => performance.now() } = options;
  const windows = new Map<string, RollingWindow>();
  const writeUnits = new Map<string, number>();
  const throttled = new Map<string, number>();
  let refusals = 0;
  let throttledTotal = 0;

  const keyOf = (item: Item | undefined): string => {
    const value = item?.[partitionKey];
    // The document client's input is plain values; the low-level client's is typed ({ S: … }).
    return typeof value === "string" ? value : String((value as { S?: string } | undefined)?.S);
  };
  /** Takes `units` for `pk` if its last second leaves room; counts the write either way. */
  const admit = (pk: string, units: number): boolean => {
    let window = windows.get(pk);
    if (!window) windows.set(pk, (window = new RollingWindow()));
    const at = now();
    if (window.used(at) + units > writeUnitsPerSecond) {
      throttled.set(pk, (throttled.get(pk) ?? 0) + 1);
      throttledTotal++;
      return false;
    }
    window.add(at, units);
    writeUnits.set(pk, (writeUnits.get(pk) ?? 0) + units);
    return true;
  };
  const refuse = (what: string) => {
    refusals++;
    return new ProvisionedThroughputExceededException({
      message: `${what}: the partition's write throughput (${writeUnitsPerSecond} WCU/s in the model) is exceeded`,
      $metadata: {},
    });
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (context.commandName === "PutItemCommand") {
        const item = input.Item as Item;
        if (!admit(keyOf(item), writeUnitsOf(item))) throw refuse("PutItem");
        return next(args);
      }
      if (context.commandName !== "BatchWriteItemCommand") return next(args);

      const accepted: Record<string, WriteRequest[]> = {};
      const excess: Record<string, WriteRequest[]> = {};
      let taken = 0;
      for (const [table, requests] of Object.entries(input.RequestItems as Record<string, WriteRequest[]>)) {
        for (const request of requests) {
          const item = request.PutRequest?.Item ?? request.DeleteRequest?.Key;
          const units = request.PutRequest ? writeUnitsOf(request.PutRequest.Item) : 1;
          const into = admit(keyOf(item), units) ? accepted : excess;
          (into[table] ??= []).push(request);
          if (into === accepted) taken++;
        }
      }
      if (taken === 0) throw refuse("BatchWriteItem");
      if (Object.keys(excess).length === 0) return next(args);
      const result = await next({ ...args, input: { ...input, RequestItems: accepted } as typeof args.input });
      const output = result.output as BatchWriteItemCommandOutput;
      const unprocessed = { ...output.UnprocessedItems } as Record<string, WriteRequest[]>;
      for (const [table, requests] of Object.entries(excess)) unprocessed[table] = [...(unprocessed[table] ?? []), ...requests];
      return { ...result, output: { ...output, UnprocessedItems: unprocessed as BatchWriteItemCommandOutput["UnprocessedItems"] } };
    },
    { step: "initialize", name: NAME },
  );

  return {
    writeUnits,
    throttled,
    get refusals() {
      return refusals;
    },
    get throttledTotal() {
      return throttledTotal;
    },
    reset() {
      windows.clear();
      writeUnits.clear();
      throttled.clear();
      refusals = 0;
      throttledTotal = 0;
    },
    remove() {
      client.middlewareStack.remove(NAME);
    },
  };
}

/** Units taken in the last WINDOW_MS: a queue of (time, units), dropped as they age out. */
class RollingWindow {
  private times: number[] = [];
  private units: number[] = [];
  private head = 0;
  private sum = 0;

  used(at: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= at - WINDOW_MS) this.sum -= this.units[this.head++]!;
    if (this.head > 4096) {
      this.times = this.times.slice(this.head);
      this.units = this.units.slice(this.head);
      this.head = 0;
    }
    return this.sum;
  }

  add(at: number, units: number): void {
    this.times.push(at);
    this.units.push(units);
    this.sum += units;
  }
}
