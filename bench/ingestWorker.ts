// One measured process of the ingest benchmark, so its peak RSS is its own.
// `baseline <file> <sqliteFile> <batch>`: the NDJSON file's records parsed and written straight
// into the embedded engine (SqliteRecordStore.upsert, in a loop of <batch> records), into a new
// file; prints { records, seconds, peak_rss_mb, uploaded, duplicates, stored }.
// `service <endpoint> <dataDir>`: the Sluice service on 127.0.0.1:0, its control plane at
// `endpoint` (DYNAMODB_ENDPOINT) and its records in <dataDir>/records.db (the default
// RECORDS_STORE); sends { url, key } over IPC, and { peak_rss_mb } when told to stop.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { startLocalService } from "../lib/local/server.js";
import { SqliteRecordStore } from "../lib/records/sqlite.js";
import type { RecordInput } from "../lib/records/types.js";
import { loadConfig } from "../lib/runtime/config.js";
import { createLogger } from "../lib/runtime/logger.js";

const peakMb = () => +(process.resourceUsage().maxRSS / 1024).toFixed(1);
const [mode, ...args] = process.argv.slice(2);

if (mode === "baseline") {
  const [file, dbFile, batchText] = args as [string, string, string];
  const batch = Number(batchText);
  const store = new SqliteRecordStore(dbFile);
  const scope = { tenant: "bench", collection: "bench", record_type: "baseline" };
  const origin = { kind: "push" as const, id: "baseline" };
  const started = performance.now();
  let records = 0;
  let uploaded = 0;
  let duplicates = 0;
  const write = async (pending: RecordInput[]) => {
    const result = await store.upsert(scope, pending, origin);
    records += pending.length;
    uploaded += result.uploaded;
    duplicates += result.duplicates;
  };
  let pending: RecordInput[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const { name, source_id, ...vertical_data } = JSON.parse(line) as Record<string, unknown>;
    pending.push({ name: name as string, source_id: source_id as string, vertical_data });
    if (pending.length === batch) {
      await write(pending);
      pending = [];
    }
  }
  if (pending.length) await write(pending);
  const seconds = (performance.now() - started) / 1000;
  const stored = store.count(scope);
  await store.close();
  console.log(JSON.stringify({ records, seconds: +seconds.toFixed(2), peak_rss_mb: peakMb(), uploaded, duplicates, stored }));
} else if (mode === "service") {
  const [endpoint, dataDir] = args as [string, string];
  const config = loadConfig("local", { ...process.env, DYNAMODB_ENDPOINT: endpoint, SLUICE_DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "warn" });
  const service = await startLocalService(config, createLogger("warn", (line) => process.stderr.write(line + "\n")));
  process.send!({ url: service.url, key: service.bootstrapKey });
  process.on("message", async () => {
    await service.close();
    process.send!({ peak_rss_mb: peakMb() }, () => process.exit(0));
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
