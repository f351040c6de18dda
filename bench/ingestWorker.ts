// One measured process of the ingest benchmark, so its peak RSS is its own.
// `baseline <file> <endpoint> <batch>`: the NDJSON file's records straight through the records
// store (RecordStore.upsert, BatchWriteItem, in a loop); prints { records, seconds, peak_rss_mb }.
// `service <endpoint> <dataDir>`: the Sluice service on 127.0.0.1:0 with its store at
// `endpoint`; sends { url, key } over IPC, and { peak_rss_mb } when told to stop.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startLocalService } from "../lib/local/server.js";
import { RecordStore } from "../lib/records/recordStore.js";
import type { RecordInput } from "../lib/records/types.js";
import { loadConfig } from "../lib/runtime/config.js";
import { createLogger } from "../lib/runtime/logger.js";
import { createDocumentClient } from "../lib/store/client.js";

const peakMb = () => +(process.resourceUsage().maxRSS / 1024).toFixed(1);
const [mode, ...args] = process.argv.slice(2);

if (mode === "baseline") {
  const [file, endpoint, batchText] = args as [string, string, string];
  const batch = Number(batchText);
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  const store = new RecordStore(createDocumentClient(client), "bench-records");
  const scope = { tenant: "bench", collection: "bench", record_type: `baseline${process.pid}` };
  const started = performance.now();
  let records = 0;
  let pending: RecordInput[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const { name, source_id, ...vertical_data } = JSON.parse(line) as Record<string, unknown>;
    pending.push({ name: name as string, source_id: source_id as string, vertical_data });
    if (pending.length === batch) {
      await store.upsert(scope, pending, { kind: "push", id: "baseline" });
      records += pending.length;
      pending = [];
    }
  }
  if (pending.length) await store.upsert(scope, pending, { kind: "push", id: "baseline" });
  records += pending.length;
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  console.log(JSON.stringify({ records, seconds: +seconds.toFixed(2), peak_rss_mb: peakMb() }));
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
