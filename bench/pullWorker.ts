// One measured mode of the pull benchmark, in its own process so its peak RSS is its own.
// Prints one JSON line: { mode, rows, seconds, rows_per_second, peak_rss_mb }.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import Cursor from "pg-cursor";
import { contentHash } from "../lib/records/contentHash.js";
import { RecordStore } from "../lib/records/recordStore.js";
import { mapRow } from "../lib/pull/recordMapping.js";
import { PostgresSource } from "../lib/sources/postgres.js";
import { createDocumentClient } from "../lib/store/client.js";

const [mode, dsn, limitText, endpoint] = process.argv.slice(2) as [string, string, string, string | undefined];
const limit = Number(limitText);
const BATCH = 5000;
const query = `SELECT id, name, sku, price, stock, category, description, updated_at FROM bench_products WHERE id <= ${limit} AND updated_at > :last_pull`;

async function raw(): Promise<number> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  const cursor = client.query(new Cursor(query.replace(":last_pull", "$1"), [new Date(0)]));
  let rows = 0;
  for (;;) {
    const batch = await cursor.read(BATCH);
    if (batch.length === 0) break;
    rows += batch.length;
  }
  await cursor.close();
  await client.end();
  return rows;
}

async function* sourceBatches() {
  const source = new PostgresSource({ dsn }, { connectTimeoutMs: 10_000, statementTimeoutMs: 3_600_000 });
  try {
    yield* source.read(query, { last_pull: null }, BATCH);
  } finally {
    await source.close();
  }
}

/** Source → normalise → content hash, into a null sink: the pull minus the store. */
async function pipeline(): Promise<number> {
  let rows = 0;
  let sink = 0;
  for await (const batch of sourceBatches()) {
    for (const row of batch) {
      const mapped = mapRow(row, { nameColumn: "name", idColumn: "id" });
      if ("record" in mapped) sink ^= contentHash(mapped.record.name, mapped.record.vertical_data).charCodeAt(0);
    }
    rows += batch.length;
  }
  if (sink === -1) console.error(sink); // keeps the hashing observable
  return rows;
}

/** The full pull path into the records store (dynalite in another process). */
async function full(): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  const store = new RecordStore(createDocumentClient(client), "bench-records");
  const scope = { tenant: "bench", collection: "bench", record_type: `run${process.pid}` };
  let rows = 0;
  for await (const batch of sourceBatches()) {
    const records = [];
    for (const row of batch) {
      const mapped = mapRow(row, { nameColumn: "name", idColumn: "id" });
      if ("record" in mapped) records.push(mapped.record);
    }
    await store.upsert(scope, records, { kind: "pull", id: "bench" });
    rows += batch.length;
  }
  client.destroy();
  return rows;
}

/** The breakdown of (b): Sluice's source alone, then with rows mapped and normalised. */
async function source(): Promise<number> {
  let rows = 0;
  for await (const batch of sourceBatches()) rows += batch.length;
  return rows;
}

async function normalise(): Promise<number> {
  let rows = 0;
  let sink = 0;
  for await (const batch of sourceBatches()) {
    for (const row of batch) if ("record" in mapRow(row, { nameColumn: "name", idColumn: "id" })) sink++;
    rows += batch.length;
  }
  if (sink === -1) console.error(sink);
  return rows;
}

const modes: Record<string, () => Promise<number>> = { raw, pipeline, full, source, normalise };
const started = performance.now();
const rows = await modes[mode]!();
const seconds = (performance.now() - started) / 1000;
const peak = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ mode, rows, seconds: +seconds.toFixed(2), rows_per_second: Math.round(rows / seconds), peak_rss_mb: +peak.toFixed(1) }));
