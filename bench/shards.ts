// `node --import tsx bench/shards.ts`: the write rate of the DynamoDB records adapter into one
// collection under the model of DynamoDB's per-partition limit (test/support/throttledDynamo.ts,
// 1,000 WCU/s per partition key), with one partition key and with the default shards, and the
// adapter's own ceiling (the default shards, no throttling). Records of ~1 KB (one write unit),
// upserted in batches of a pull's default batch_size one after another, each mode for at least
// BENCH_SECONDS (default 10), after as long a warm-up (unthrottled, not counted: cold, both
// processes wrote a third slower). dynalite runs in a child process, so the engine does not share
// the adapter's event loop. The target: sharded ≥ 0.8 × min(shards × single-key rate, ceiling).
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { startDynalite } from "../lib/local/dynalite.js";
import { DynamoRecordStore } from "../lib/records/dynamodb.js";
import { DEFAULT_RECORD_SHARDS, shardOf } from "../lib/records/shards.js";
import { scopeKey } from "../lib/records/prepare.js";
import type { RecordInput, RecordScope } from "../lib/records/types.js";
import { createDocumentClient } from "../lib/store/client.js";
import { ensureTables } from "../lib/store/tables.js";
import { throttleWrites, writeUnitsOf } from "../test/support/throttledDynamo.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 1_000);
const LIMIT = 1_000;
/** Item JSON as stored (key, hash, origin, timestamps and the padded vertical_data text). */
const ITEM_BYTES = 1_000;
const TABLE = "bench-records";

if (process.argv[2] === "engine") {
  const server = await startDynalite();
  process.send!({ endpoint: server.endpoint });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}

interface Result {
  mode: string;
  shards: number;
  records: number;
  seconds: number;
  records_per_second: number;
  /** From the model: writes turned away, calls refused whole, and the busiest key's units/s. */
  throttled?: number;
  refused_calls?: number;
  busiest_key_wcu_per_second?: number;
}

async function main(): Promise<void> {
  const engine = fork(fileURLToPath(import.meta.url), ["engine"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const [{ endpoint }] = (await once(engine, "message")) as [{ endpoint: string }];
    const setup = client(endpoint);
    await ensureTables(setup, { control: "bench-control", records: TABLE });
    setup.destroy();

    const warmup = await measure(endpoint, "warm-up (not counted)", DEFAULT_RECORD_SHARDS, false);
    console.log(JSON.stringify(warmup));
    const single = await measure(endpoint, "single key, throttled", 1, true);
    const sharded = await measure(endpoint, "default shards, throttled", DEFAULT_RECORD_SHARDS, true);
    const ceiling = await measure(endpoint, "default shards, unthrottled (adapter ceiling)", DEFAULT_RECORD_SHARDS, false);
    for (const r of [single, sharded, ceiling]) console.log(JSON.stringify(r));

    const ideal = Math.min(DEFAULT_RECORD_SHARDS * single.records_per_second, ceiling.records_per_second);
    const ratio = sharded.records_per_second / ideal;
    console.log(
      JSON.stringify({
        shards: DEFAULT_RECORD_SHARDS,
        single_key_rate: single.records_per_second,
        sharded_rate: sharded.records_per_second,
        adapter_ceiling: ceiling.records_per_second,
        speedup_over_single_key: +(sharded.records_per_second / single.records_per_second).toFixed(2),
        ideal: Math.round(ideal),
        target: Math.round(0.8 * ideal),
        ratio_to_ideal: +ratio.toFixed(2),
        meets_target: ratio >= 0.8,
      }),
    );
  } finally {
    await stop(engine);
  }
}

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, maxAttempts: 5 });
}

/** Upserts batches of new records into a fresh collection until SECONDS have passed. */
async function measure(endpoint: string, mode: string, shards: number, throttled: boolean): Promise<Result> {
  const dynamo = client(endpoint);
  const db = createDocumentClient(dynamo);
  const store = new DynamoRecordStore(db, TABLE, { shards });
  const scope: RecordScope = { tenant: "bench", collection: mode.replace(/[^a-z0-9]+/gi, "-"), record_type: "row" };
  const pad = await padding(store, db, scope, shards);
  const model = throttled ? throttleWrites(dynamo, { writeUnitsPerSecond: LIMIT }) : undefined;
  let records = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    const batch = Array.from({ length: BATCH }, (_, i) => row(records + i, pad));
    const result = await store.upsert(scope, batch, { kind: "pull", id: "bench" });
    if (result.uploaded !== BATCH) throw new Error(`${mode}: ${result.uploaded} of ${BATCH} written`);
    records += BATCH;
  }
  const seconds = (performance.now() - started) / 1000;
  dynamo.destroy();
  const result: Result = { mode, shards, records, seconds: +seconds.toFixed(2), records_per_second: Math.round(records / seconds) };
  if (model) {
    result.throttled = model.throttledTotal;
    result.refused_calls = model.refusals;
    result.busiest_key_wcu_per_second = Math.round(Math.max(...model.writeUnits.values()) / seconds);
  }
  return result;
}

function row(i: number, pad: number): RecordInput {
  return { source_id: `row-${String(i).padStart(9, "0")}`, name: `Row ${i}`, vertical_data: { i, site: `site-${i % 97}`, note: "n".repeat(pad) } };
}

/**
 * The note length that makes a stored item ITEM_BYTES of JSON (one write unit in the model):
 * measured on a probe record, written and read back, outside the timed loop and its counts.
 */
async function padding(store: DynamoRecordStore, db: ReturnType<typeof createDocumentClient>, scope: RecordScope, shards: number): Promise<number> {
  const probe = { ...row(0, 0), source_id: "probe-000000000" };
  await store.upsert(scope, [probe], { kind: "pull", id: "bench" });
  const pk = `${scopeKey(scope)}#${shardOf(probe.source_id, shards)}`;
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: probe.source_id } }));
  const pad = ITEM_BYTES - Buffer.byteLength(JSON.stringify(Item));
  if (writeUnitsOf({ ...Item, vertical_data: `${Item!.vertical_data}${"n".repeat(pad)}` }) !== 1) throw new Error("a record is more than one write unit");
  return pad;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.disconnect();
  await exited;
}
