// One measured mode of the pull benchmark, in its own process so its peak RSS is its own.
// `node pullWorker.mjs <mode> <dsn> <limit> [target]`, where target is the SQLite file of `full`
// and the dynalite endpoint of `dynamo`. Prints one JSON line:
// { mode, rows, seconds, rows_per_second, peak_rss_mb } and, for the store modes,
// { uploaded, duplicates, stored } (upsert counts summed over the pull; records in the scope after).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import Cursor from "pg-cursor";
import { pump } from "../lib/pull/pump.js";
import { mapRow } from "../lib/pull/recordMapping.js";
import { canonicalJson, canonicalRecord, contentHash, sha256Hex } from "../lib/records/contentHash.js";
import type { RecordStore } from "../lib/records/contract.js";
import { DynamoRecordStore } from "../lib/records/dynamodb.js";
import { SqliteRecordStore } from "../lib/records/sqlite.js";
import type { RecordInput } from "../lib/records/types.js";
import type { Row } from "../lib/sources/contract.js";
import { PostgresSource } from "../lib/sources/postgres.js";
import { createDocumentClient } from "../lib/store/client.js";

const [mode, dsn, limitText, target] = process.argv.slice(2) as [string, string, string, string | undefined];
const limit = Number(limitText);
const BATCH = 5000;
const query = `SELECT id, name, sku, price, stock, category, description, updated_at FROM bench_products WHERE id <= ${limit} AND updated_at > :last_pull`;
const mapping = { nameColumn: "name", idColumn: "id" };
// The store modes share one scope, so a re-pull into the same file meets the first pull's records.
const scope = { tenant: "bench", collection: "bench", record_type: "products" };

interface Outcome {
  rows: number;
  uploaded?: number;
  duplicates?: number;
  stored?: number;
  /** Work after the measured part (closing a store, counting what it holds); not timed. */
  after?: () => Promise<void>;
}

async function rawCursor(perRow?: (row: Record<string, unknown>) => void): Promise<Outcome> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  const cursor = client.query(new Cursor(query.replace(":last_pull", "$1"), [new Date(0)]));
  let rows = 0;
  for (;;) {
    const batch = await cursor.read(BATCH);
    if (batch.length === 0) break;
    if (perRow) for (const row of batch) perRow(row as Record<string, unknown>);
    rows += batch.length;
  }
  await cursor.close();
  await client.end();
  return { rows };
}

/** (a) The raw pg cursor read, pg's default parsing: the baseline. */
const raw = () => rawCursor();

/**
 * (b0) The raw read plus, per row, the content hash the obvious way: name from its column, every
 * other column but id into vertical_data, canonical JSON of both and its SHA-256.
 */
async function rawHash(): Promise<Outcome> {
  let sink = 0;
  const outcome = await rawCursor((row) => {
    const { id: _id, name, ...vertical_data } = row;
    sink ^= sha256Hex(canonicalRecord(String(name), canonicalJson(vertical_data) ?? "null")).charCodeAt(0);
  });
  if (sink === -1) console.error(sink); // keeps the hashing observable
  return outcome;
}

async function* sourceBatches() {
  const source = new PostgresSource({ dsn }, { connectTimeoutMs: 10_000, statementTimeoutMs: 3_600_000 });
  try {
    yield* source.read(query, { last_pull: null }, BATCH);
  } finally {
    await source.close();
  }
}

/** (b) Source → normalise → content hash, into a null sink: the pull minus the store. */
async function pipeline(): Promise<Outcome> {
  let rows = 0;
  let sink = 0;
  for await (const batch of sourceBatches()) {
    for (const row of batch) {
      const mapped = mapRow(row, mapping);
      if ("record" in mapped) sink ^= contentHash(mapped.record.name, mapped.record.vertical_data).charCodeAt(0);
    }
    rows += batch.length;
  }
  if (sink === -1) console.error(sink);
  return { rows };
}

/** The breakdown of (b): Sluice's source alone, then with rows mapped and normalised. */
async function source(): Promise<Outcome> {
  let rows = 0;
  for await (const batch of sourceBatches()) rows += batch.length;
  return { rows };
}

async function normalise(): Promise<Outcome> {
  let rows = 0;
  let sink = 0;
  for await (const batch of sourceBatches()) {
    for (const row of batch) if ("record" in mapRow(row, mapping)) sink++;
    rows += batch.length;
  }
  if (sink === -1) console.error(sink);
  return { rows };
}

/** The runner's batch loop (lib/pull/runner.ts) without lease, screening and run record. */
async function pullInto(store: RecordStore): Promise<Outcome> {
  let rows = 0;
  let uploaded = 0;
  let duplicates = 0;
  const origin = { kind: "pull" as const, id: `run${process.pid}`, connector_id: "bench" };
  await pump(sourceBatches(), {
    map: (batch: Row[]) => {
      const records: RecordInput[] = [];
      for (let i = 0; i < batch.length; i++) {
        const mapped = mapRow(batch[i]!, mapping);
        if ("record" in mapped) records.push(mapped.record);
      }
      return records;
    },
    write: async (records, batch) => {
      const result = await store.upsert(scope, records, origin);
      rows += batch.length;
      uploaded += result.uploaded;
      duplicates += result.duplicates;
    },
  });
  return { rows, uploaded, duplicates };
}

/** (c), (c2) The full pull into the embedded SQLite store, the file given (new or not). */
async function full(): Promise<Outcome> {
  const store = new SqliteRecordStore(target!);
  const outcome: Outcome = await pullInto(store);
  outcome.after = async () => {
    outcome.stored = store.count(scope);
    await store.close();
  };
  return outcome;
}

/** (c-dynamo) The full pull into DynamoRecordStore on dynalite in another process. */
async function dynamo(): Promise<Outcome> {
  const client = new DynamoDBClient({ endpoint: target, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  const store = new DynamoRecordStore(createDocumentClient(client), "bench-records");
  return { ...(await pullInto(store)), after: async () => client.destroy() };
}

const modes: Record<string, () => Promise<Outcome>> = { raw, rawhash: rawHash, pipeline, source, normalise, full, dynamo };
if (!modes[mode]) throw new Error(`unknown mode ${mode}`);
const started = performance.now();
const outcome = await modes[mode]();
const seconds = (performance.now() - started) / 1000;
await outcome.after?.();
const { rows, uploaded, duplicates, stored } = outcome;
const peak = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({ mode, rows, seconds: +seconds.toFixed(2), rows_per_second: Math.round(rows / seconds), peak_rss_mb: +peak.toFixed(1), uploaded, duplicates, stored }),
);
