// `npm run bench:ingest`: writes BENCH_RECORDS (default 200,000) NDJSON records of about 500
// bytes, then measures, each in a fresh process: (a) the records parsed and written straight
// into the embedded engine (SqliteRecordStore.upsert in a loop of INGEST_STREAM_BATCH_SIZE
// batches, a new file), the baseline; (b) the same file streamed over HTTP to the local Sluice
// service (POST /api/v1/ingest/…/stream), its records in SQLite in its data dir, for 10,000
// records and for all, with the service's peak RSS. The service's control plane is dynalite in
// this orchestrating process (DYNAMODB_ENDPOINT).
import { execFile, fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Fernet } from "../lib/crypto/fernet.js";
import type { IngestionSummary } from "../lib/ingest/types.js";
import { startDynalite } from "../lib/local/dynalite.js";
import { RECORDS_FILE } from "../lib/local/server.js";
import { SqliteRecordStore } from "../lib/records/sqlite.js";
import { ensureTables } from "../lib/store/tables.js";
import { bundleWorker } from "./bundle.js";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const SMALL = 10_000;
const BATCH = Number(process.env.INGEST_STREAM_BATCH_SIZE ?? 500);
const FLAGS = (process.env.BENCH_WORKER_FLAGS ?? "--max-old-space-size=64 --max-semi-space-size=4").split(" ").filter(Boolean);
const env: NodeJS.ProcessEnv = { ...process.env };
// The service keeps its records where the local runtime does by default: SQLite in its data dir.
delete env.RECORDS_STORE;
delete env.RECORDS_TABLE;

interface Result {
  records: number;
  seconds: number;
  peak_rss_mb: number;
  /** Records in the SQLite file afterwards. */
  stored?: number;
}

function line(i: number): string {
  const record = {
    name: `Sensor ${i}`,
    source_id: `dev-${i}`,
    site: `site-${i % 97}`,
    measured_at: new Date(1_760_000_000_000 + i * 1000).toISOString(),
    value: Math.round(Math.sin(i) * 10_000) / 100,
    unit: "celsius",
    tags: ["bench", `batch-${i % 13}`],
    note: "",
  };
  const base = JSON.stringify(record).length;
  record.note = `${i}`.padEnd(Math.max(0, 500 - base), "abcdefghijklmnopqrstuvwxyz");
  return JSON.stringify(record);
}

async function writeFile_(file: string, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(line(i));
  await writeFile(file, lines.join("\n") + "\n");
}

const worker = await bundleWorker("ingestWorker");

/** Every record of the file accepted, none a duplicate, all in the service's records.db. */
function expectStream(r: Result & { summary: IngestionSummary }, count: number): void {
  const { summary } = r;
  if (summary.accepted !== count || summary.duplicates_skipped !== 0 || summary.rejected !== 0 || r.stored !== count) {
    throw new Error(`the stream stored ${r.stored} of ${count}: ${JSON.stringify(summary)}`);
  }
}

async function baseline(file: string, dbFile: string): Promise<Result & { uploaded: number; duplicates: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...FLAGS, worker, "baseline", file, dbFile, String(BATCH)], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Result & { uploaded: number; duplicates: number };
}

/** Records in a stopped service's records file (all scopes: the stream wrote one). */
async function storedIn(dataDir: string): Promise<number> {
  const records = new SqliteRecordStore(path.join(dataDir, RECORDS_FILE));
  try {
    return records.count();
  } finally {
    await records.close();
  }
}

/** A fresh service process; the file streamed to it; its peak RSS once it has stopped. */
async function streamed(file: string, endpoint: string, dataDir: string): Promise<Result & { summary: IngestionSummary }> {
  // A control table of its own: the owner key is only made on a table's first start.
  const childEnv = { ...env, CONTROL_TABLE: `control-${path.basename(dataDir)}`, CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey() };
  const child = fork(worker, ["service", endpoint, dataDir], { execArgv: FLAGS, env: childEnv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const result = await measureStream(child, file);
    return { ...result, stored: await storedIn(dataDir) };
  } finally {
    child.kill();
  }
}

async function measureStream(child: ChildProcess, file: string): Promise<Result & { summary: IngestionSummary }> {
  const [{ url, key }] = (await once(child, "message")) as [{ url: string; key: string }];
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/ingest/bench/stream${process.hrtime.bigint()}/stream`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/x-ndjson" },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
  const summary = (await response.json()) as IngestionSummary;
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 200) throw new Error(`stream answered ${response.status}: ${JSON.stringify(summary)}`);
  child.send("stop");
  const [{ peak_rss_mb }] = (await once(child, "message")) as [{ peak_rss_mb: number }];
  await once(child, "exit");
  return { records: summary.accepted, seconds: +seconds.toFixed(2), peak_rss_mb, summary };
}

const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-bench-ingest-"));
const store = await startDynalite({ path: path.join(dir, "store") });
try {
  const big = path.join(dir, "big.ndjson");
  const small = path.join(dir, "small.ndjson");
  await writeFile_(big, RECORDS);
  await writeFile_(small, SMALL);
  const bytes = (await stat(big)).size;
  console.log(`${RECORDS.toLocaleString("en")} records, ${(bytes / RECORDS).toFixed(0)} bytes per line on average, batch ${BATCH}`);
  const dynamo = new DynamoDBClient({ endpoint: store.endpoint, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  // Only a control table: a records table here would be copied into each service's records.db
  // (and dropped) by the local runtime's migration on its first start.
  await ensureTables(dynamo, { control: "bench-control" });
  dynamo.destroy();

  const smallRun = await streamed(small, store.endpoint, path.join(dir, "svc-small"));
  expectStream(smallRun, SMALL);
  const a = await baseline(big, path.join(dir, "baseline.db"));
  if (a.records !== RECORDS || a.uploaded !== RECORDS || a.duplicates !== 0 || a.stored !== RECORDS) {
    throw new Error(`the baseline stored ${a.stored} of ${RECORDS}: ${JSON.stringify(a)}`);
  }
  const b = await streamed(big, store.endpoint, path.join(dir, "svc-big"));
  expectStream(b, RECORDS);

  const rate = (r: Result) => Math.round(r.records / r.seconds);
  const show = (label: string, r: Result) =>
    `${label.padEnd(46)} ${r.records.toLocaleString("en").padStart(8)} records ${String(r.seconds).padStart(7)} s ${rate(r).toLocaleString("en").padStart(7)} records/s  peak RSS ${String(r.peak_rss_mb).padStart(6)} MB`;
  console.log("");
  console.log(`node ${process.version}, worker flags: ${FLAGS.join(" ")}, stream in flight: ${process.env.INGEST_STREAM_MAX_IN_FLIGHT ?? 4}`);
  console.log(show("(a) SqliteRecordStore.upsert loop (baseline)", a));
  console.log(show("(b) NDJSON stream to the service (SQLite)", b));
  console.log(show("    NDJSON stream, 10k records", smallRun));
  console.log("");
  console.log(`(b) / (a) throughput: ${((rate(b) / rate(a)) * 100).toFixed(1)} %   (target ≥ 70 %)`);
  console.log(`service peak RSS ${RECORDS.toLocaleString("en")} / 10k records: ${(b.peak_rss_mb / smallRun.peak_rss_mb).toFixed(2)} ×   (target ≤ 1.3 ×)`);
} finally {
  await store.close();
  await rm(worker, { force: true });
  await rm(dir, { recursive: true, force: true });
}
