// One measured mode of the pull benchmark, in its own process so its peak RSS is its own.
// `node pullWorker.mjs <mode> <dsn> <limit> [target] [endpoint] [setting]`, where target is the
// SQLite file of `full` and the dynalite endpoint of `dynamo`; the runner modes take the SQLite
// file, the dynalite endpoint of the control plane and their setting (`runner`: the connector's
// parallelism; `deadline`: each invocation's deadline in ms). Prints one JSON line:
// { mode, rows, seconds, rows_per_second, peak_rss_mb } and, for the store modes,
// { uploaded, duplicates, stored } (upsert counts summed over the pull, or the run's counts;
// records in the scope after), and for the runner modes { invocations, partitions }.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import Cursor from "pg-cursor";
import { DEFAULT_READ_AHEAD, pump } from "../lib/pull/pump.js";
import { mapRow } from "../lib/pull/recordMapping.js";
import { canonicalJson, canonicalRecord, contentHash, sha256Hex } from "../lib/records/contentHash.js";
import type { RecordStore } from "../lib/records/contract.js";
import { DynamoRecordStore } from "../lib/records/dynamodb.js";
import { prepareBatch } from "../lib/records/prepare.js";
import { SqliteRecordStore } from "../lib/records/sqlite.js";
import type { RecordInput } from "../lib/records/types.js";
import type { Row } from "../lib/sources/contract.js";
import { PostgresSource } from "../lib/sources/postgres.js";
import { createDocumentClient } from "../lib/store/client.js";
import type { SimulatedLambda } from "../test/support/simulatedLambda.js";

const [mode, dsn, limitText, target, endpoint, setting] = process.argv.slice(2) as [string, string, string, string | undefined, string | undefined, string | undefined];
const limit = Number(limitText);
const BATCH = 5000;
const DEPTH = Number(process.env.BENCH_READ_AHEAD ?? DEFAULT_READ_AHEAD);
const query = `SELECT id, name, sku, price, stock, category, description, updated_at FROM bench_products WHERE id <= ${limit} AND updated_at > :last_pull`;
const mapping = { nameColumn: "name", idColumn: "id" };
// The store modes share one scope, so a re-pull into the same file meets the first pull's records.
const scope = { tenant: "bench", collection: "bench", record_type: "products" };

interface Outcome {
  rows: number;
  uploaded?: number;
  duplicates?: number;
  stored?: number;
  invocations?: number;
  partitions?: number;
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

/**
 * The runner's batch loop (lib/pull/partitionTask.ts) without lease, screening and run record:
 * the map stage maps and prepares (canonical JSON, content hash) while the previous batch is written.
 */
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
      return prepareBatch(records);
    },
    write: async (prepared, batch) => {
      const result = await store.write(scope, prepared, origin);
      rows += batch.length;
      uploaded += result.uploaded;
      duplicates += result.duplicates;
    },
  }, DEPTH);
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

/**
 * What only the runner modes use (services, and through them every source's driver and the AWS
 * clients), loaded by them alone: the other modes' peak RSS stays that of their own pull.
 */
async function runnerModules() {
  const [{ Fernet }, { LocalKeyProvider }, { KeyRing }, { loadConfig }, { createLogger }, { createServices }, { SimulatedLambda }] = await Promise.all([
    import("../lib/crypto/fernet.js"),
    import("../lib/crypto/keyProvider/local.js"),
    import("../lib/crypto/keyRing.js"),
    import("../lib/runtime/config.js"),
    import("../lib/runtime/logger.js"),
    import("../lib/runtime/services.js"),
    import("../test/support/simulatedLambda.js"),
  ]);
  return { Fernet, LocalKeyProvider, KeyRing, loadConfig, createLogger, createServices, SimulatedLambda };
}

/**
 * The runner modes' services: the control plane (connectors, runs, checkpoints, leases) on the
 * orchestrator's dynalite, records in a fresh SQLite file, a connector on the bench table.
 */
async function runnerSetup(parallelism: number, dispatcher?: SimulatedLambda) {
  const { Fernet, LocalKeyProvider, KeyRing, loadConfig, createLogger, createServices } = await runnerModules();
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "b", secretAccessKey: "b" } });
  const records = new SqliteRecordStore(target!);
  const config = loadConfig("local", { CONTROL_TABLE: "bench-control", PULL_DEADLINE_MARGIN_SECONDS: "0" });
  const services = createServices({
    config,
    logger: createLogger("warn", (line) => process.stderr.write(`${line}\n`)),
    dynamo: client,
    keyProvider: new LocalKeyProvider(KeyRing.parse(Fernet.generateKey())),
    keyEnvironment: "local",
    records,
    ...(dispatcher ? { dispatcher } : {}),
  });
  if (dispatcher) dispatcher.services = services;
  const connector = await services.connectors.create(scope.tenant, {
    name: `bench-${mode}-${process.pid}`, connector_type: "postgresql", collection: scope.collection, record_type: scope.record_type,
    connection_config: { dsn }, query, name_column: mapping.nameColumn, id_column: mapping.idColumn, batch_size: BATCH, parallelism,
  });
  return { client, records, services, connector };
}

/** A run's counts as the bench reports them; a run that did not complete fails the mode. */
async function runOutcome(setup: Awaited<ReturnType<typeof runnerSetup>>, runId: string, invocations?: number): Promise<Outcome> {
  const run = await setup.services.runs.get(scope.tenant, runId);
  if (run.status !== "completed") throw new Error(`the run ended ${run.status}: ${JSON.stringify(run.error)}`);
  const outcome: Outcome = {
    rows: run.records_pulled,
    uploaded: run.records_uploaded,
    duplicates: run.duplicates_skipped,
    invocations: invocations ?? run.invocations ?? 1,
    partitions: Object.keys(run.partitions ?? {}).length,
  };
  if (run.records_rejected !== 0) throw new Error(`the run rejected ${run.records_rejected} rows`);
  outcome.after = async () => {
    outcome.stored = setup.records.count(scope);
    await setup.records.close();
    setup.client.destroy();
  };
  return outcome;
}

/**
 * (c-runner), (d) The pull through PullRunner (lease, run record, partitions, a checkpoint after
 * every batch) in this process; setup (services, connector) is not timed, begin is.
 */
async function runner(): Promise<() => Promise<Outcome>> {
  const setup = await runnerSetup(Number(setting));
  return async () => {
    const begun = await setup.services.runner.begin(scope.tenant, setup.connector.id, "manual");
    const { done } = await setup.services.dispatcher.dispatch(setup.services.runner.job(begun));
    await done;
    return runOutcome(setup, begun.run.run_id);
  };
}

/**
 * (e), (e') The pull in simulated worker invocations, each with a deadline of `setting` ms: it
 * stops before the deadline and continues in a new invocation from its checkpoint.
 */
async function deadline(): Promise<() => Promise<Outcome>> {
  const lambda = new (await runnerModules()).SimulatedLambda(Number(setting));
  const setup = await runnerSetup(1, lambda);
  return async () => {
    const begun = await setup.services.runner.begin(scope.tenant, setup.connector.id, "manual");
    await lambda.dispatch(setup.services.runner.job(begun));
    await lambda.drain(); // every invocation, continuations included, has returned
    return runOutcome(setup, begun.run.run_id, lambda.invocations);
  };
}

const runnerModes: Record<string, typeof runner> = { runner, deadline };
const modes: Record<string, () => Promise<Outcome>> = { raw, rawhash: rawHash, pipeline, source, normalise, full, dynamo };
if (!modes[mode] && !runnerModes[mode]) throw new Error(`unknown mode ${mode}`);
// A runner mode's services and connector are set up before the clock starts; its begin is timed.
const measured = runnerModes[mode] ? await runnerModes[mode]() : modes[mode]!;
const started = performance.now();
const outcome = await measured();
const seconds = (performance.now() - started) / 1000;
await outcome.after?.();
const { rows, uploaded, duplicates, stored, invocations, partitions } = outcome;
const peak = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({ mode, rows, seconds: +seconds.toFixed(2), rows_per_second: Math.round(rows / seconds), peak_rss_mb: +peak.toFixed(1), uploaded, duplicates, stored, invocations, partitions }),
);
