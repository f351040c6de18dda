// A child process for the crash tests: upserts batches of `size` records into the SQLite records
// file forever, printing "committed <n>" after each batch, until it is killed.
import { SqliteRecordStore } from "../../lib/records/sqlite.js";

const [file, sizeText] = process.argv.slice(2) as [string, string];
const size = Number(sizeText);
const store = new SqliteRecordStore(file);
const scope = { tenant: "crash", collection: "c", record_type: "r" };
for (let batch = 0; ; batch++) {
  const records = Array.from({ length: size }, (_, i) => ({ source_id: `b${batch}-${i}`, name: `n${i}`, vertical_data: { batch, pad: "x".repeat(300) } }));
  await store.upsert(scope, records, { kind: "push", id: `batch-${batch}` });
  process.stdout.write(`committed ${batch}\n`);
}
