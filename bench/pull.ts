// `npm run bench:pull`: seeds PostgreSQL with BENCH_ROWS (default 1,000,000) rows of ~200 bytes,
// then measures, each in a fresh process: (a) a raw pg cursor read, the baseline; (b) Sluice's
// source → normalise → hash pipeline into a null sink; (c) the full pull into the records store
// (dynalite, reached over HTTP), for 10,000 rows and for all rows. Prints figures and ratios;
// (b) is broken down into the source alone and source → normalise, to show where time goes.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import { startDynalite } from "../lib/local/dynalite.js";
import { ensureTables } from "../lib/store/tables.js";
import { startPostgres } from "../test/support/servers/postgres.js";
import { bundleWorker } from "./bundle.js";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SMALL = 10_000;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const run = promisify(execFile);

interface Result {
  mode: string;
  rows: number;
  seconds: number;
  rows_per_second: number;
  peak_rss_mb: number;
}

async function measure(mode: string, dsn: string, limit: number, endpoint = ""): Promise<Result> {
  // The same explicit heap for every mode: without one V8 grows its heap lazily with the
  // allocation rate, so peak RSS would track how long a process ran, not what it holds.
  // Lambda sizes the heap from the function's memory in the same way.
  const flags = (process.env.BENCH_WORKER_FLAGS ?? "--max-old-space-size=64 --max-semi-space-size=4").split(" ").filter(Boolean);
  const { stdout } = await run(process.execPath, [...flags, worker, mode, dsn, String(limit), endpoint], {
    maxBuffer: 1 << 20,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Result;
}

const worker = await bundleWorker("pullWorker");
const server = await startPostgres();
const storeDir = await mkdtemp(path.join(os.tmpdir(), "sluice-bench-"));
// The store lives in this orchestrating process; the measured workers reach it over HTTP, as a
// pull reaches DynamoDB, so their peak RSS is the pull's own.
const store = await startDynalite({ path: storeDir });
try {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  console.log(`seeding ${ROWS.toLocaleString("en")} rows…`);
  await client.query("DROP TABLE IF EXISTS bench_products");
  await client.query(`CREATE TABLE bench_products AS
    SELECT i AS id, 'Product ' || i AS name, 'SKU-' || lpad(i::text, 8, '0') AS sku, (i % 100000) / 100.0 AS price,
           (i % 5000)::bigint AS stock, 'category-' || (i % 40) AS category,
           md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) AS description,
           now() - make_interval(secs => i % 86400) AS updated_at
    FROM generate_series(1, ${ROWS}) AS i`);
  await client.query("ALTER TABLE bench_products ADD PRIMARY KEY (id)");
  const { rows } = await client.query<{ bytes: string }>("SELECT avg(pg_column_size(t.*))::int AS bytes FROM bench_products t");
  console.log(`average row: ${rows[0]!.bytes} bytes`);
  await client.end();
  const dynamo = new DynamoDBClient({ endpoint: store.endpoint, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  await ensureTables(dynamo, { control: "bench-control", records: "bench-records" });
  dynamo.destroy();

  await measure("raw", server.url, SMALL); // warm the table into the buffer cache
  // The read modes alternate, REPEAT rounds, and each keeps its best round: a machine that is
  // busy for a moment then slows one round, not one mode.
  const best = new Map<string, Result>();
  for (let round = 0; round < REPEAT; round++) {
    for (const mode of ["raw", "source", "normalise", "pipeline"]) {
      const result = await measure(mode, server.url, ROWS);
      if (result.rows_per_second > (best.get(mode)?.rows_per_second ?? 0)) best.set(mode, result);
    }
  }
  const a = best.get("raw")!;
  const b = best.get("pipeline")!;
  const ratio = (r: Result) => `${((r.rows_per_second / a.rows_per_second) * 100).toFixed(1)} %`;
  if (process.env.BENCH_SKIP_FULL) {
    for (const r of best.values()) console.log(r.mode.padEnd(10), r.rows_per_second, ratio(r));
    process.exit(0);
  }
  const small = await measure("full", server.url, SMALL, store.endpoint);
  const c = await measure("full", server.url, ROWS, store.endpoint);

  const line = (label: string, r: Result) =>
    `${label.padEnd(44)} ${r.rows.toLocaleString("en").padStart(10)} rows ${String(r.seconds).padStart(7)} s ${r.rows_per_second.toLocaleString("en").padStart(9)} rows/s  peak RSS ${String(r.peak_rss_mb).padStart(6)} MB`;
  console.log("");
  console.log(`node ${process.version}, worker flags: ${process.env.BENCH_WORKER_FLAGS ?? "--max-old-space-size=64 --max-semi-space-size=4"}`);
  console.log(line("(a) raw pg cursor read (baseline)", a));
  console.log(line("(b) source → normalise → hash → null sink", b));
  console.log(line("    of which: Sluice's source alone", best.get("source")!));
  console.log(line("              source → normalise", best.get("normalise")!));
  console.log(line("(c) full pull into the records store", c));
  console.log(line("    full pull, 10k rows", small));
  console.log("");
  console.log(`(b) / (a) throughput: ${ratio(b)}   (target ≥ 80 %; source alone ${ratio(best.get("source")!)}, with normalise ${ratio(best.get("normalise")!)})`);
  console.log(`(c) / (a) throughput: ${ratio(c)}`);
  console.log(`peak RSS of the ${ROWS.toLocaleString("en")}-row pull: ${c.peak_rss_mb} MB   (target < 150 MB)`);
  console.log(`peak RSS ${ROWS.toLocaleString("en")} rows / 10k rows: ${(c.peak_rss_mb / small.peak_rss_mb).toFixed(2)} ×   (target ≤ 1.3 ×)`);
} finally {
  await store.close();
  await rm(worker, { force: true });
  await server.stop();
  await rm(storeDir, { recursive: true, force: true });
}
