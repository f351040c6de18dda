// The embedded runtime behind `npm start`: dynalite persisted in the data dir, the local master
// key ring, the HTTP API on HOST:PORT, and a clean shutdown that lets in-flight requests finish.
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { serve } from "@hono/node-server";
import { createApp } from "../http/app.js";
import type { Config } from "../runtime/config.js";
import type { Logger } from "../runtime/logger.js";
import { createServices, keyProviderFor, type Services } from "../runtime/services.js";
import { createDynamoClient } from "../store/client.js";
import { ensureTables } from "../store/tables.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import { runScheduledPull } from "../pull/scheduled.js";
import { InProcessScheduler } from "../schedule/inProcess.js";
import type { RecordStore } from "../records/contract.js";
import { SqliteRecordStore } from "../records/sqlite.js";
import { createDocumentClient } from "../store/client.js";
import { startDynalite } from "./dynalite.js";
import { migrateDynamoRecords } from "./recordsMigration.js";
import { takeWriterLock, type WriterLock } from "./writerLock.js";
import { localMasterKeys } from "./masterKey.js";
import { publishStoreEndpoint, withdrawStoreEndpoint } from "./storeEndpoint.js";

/** The records of the local runtime, in the data dir. */
export const RECORDS_FILE = "records.db";

export interface LocalService {
  url: string;
  services: Services;
  /** The bootstrap owner key, only on the very first start of a data dir. */
  bootstrapKey: string | undefined;
  close(): Promise<void>;
}

export async function startLocalService(config: Config, logger: Logger): Promise<LocalService> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const keys = await localMasterKeys(config, logger);
  const store = config.dynamodbEndpoint ? undefined : await startDynalite({ path: path.join(config.dataDir, "dynalite") });
  const endpoint = config.dynamodbEndpoint ?? store!.endpoint;
  const dynamo = createDynamoClient({ endpoint, region: config.region });
  let lock: WriterLock | undefined;
  let records: RecordStore | undefined;
  try {
    const sqlite = config.recordsStore === "sqlite";
    await ensureTables(dynamo, { control: config.controlTable, ...(sqlite ? {} : { records: config.recordsTable }) });
    if (sqlite) ({ lock, records } = await openRecordsFile(config, dynamo, logger));
  } catch (error) {
    dynamo.destroy();
    await store?.close();
    throw error;
  }
  // The scheduler fires pulls through services built after it: the closures run only later.
  const scheduler = new InProcessScheduler({
    fire: async (event) => {
      await runScheduledPull({ runner: services.runner, runs: services.runs, logger }, event);
    },
    load: () => scheduledConnectors(services.connectorRepository),
    markFired: (tenant, connectorId, slot) => services.connectorRepository.setState(tenant, connectorId, { last_scheduled_at: slot.toISOString() }),
    onError: (error) => logger.error("scheduled pull failed", { error }),
  });
  const services: Services = createServices({ config, logger, dynamo, keyProvider: keyProviderFor(config, keys), keyEnvironment: "local", scheduler, records });
  const bootstrapKey = await services.apiKeys.bootstrapOwner("default");
  await scheduler.start();
  // With the embedded store no other process can hold a lease: a run left `running` was this
  // data dir's previous process's, which is gone, so it is resumed now rather than once its lease expires.
  const resumed = await services.runner.resumeInterrupted({ orphaned: store !== undefined });
  if (resumed > 0) logger.info("resumed interrupted pulls from their checkpoints", { resumed });
  services.events.trigger.start(); // event deliveries a previous process left pending, and their retries
  if (store) await publishStoreEndpoint(config.dataDir, endpoint);

  const app = createApp(services);
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(started as Server));
    started.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // close() stops accepting and resolves once in-flight requests have answered.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await scheduler.stop(); // no new scheduled pulls; waits for the ones firing
      await services.dispatcher.drain(); // pulls running in this process finish first
      await services.events.trigger.stop(); // deliveries in flight stay pending for the next start
      if (store) await withdrawStoreEndpoint(config.dataDir);
      dynamo.destroy();
      await store?.close();
      await records?.close();
      lock?.release();
    })());
  return { url: `http://${host}:${address.port}`, services, bootstrapKey, close };
}

/**
 * The records file of the data dir, locked to this process, with any records an earlier version
 * kept in dynalite copied in first (their table is then dropped).
 */
async function openRecordsFile(config: Config, dynamo: ReturnType<typeof createDynamoClient>, logger: Logger) {
  const file = path.join(config.dataDir, RECORDS_FILE);
  const lock = takeWriterLock(`${file}.lock`, `records store ${file}`);
  let records: SqliteRecordStore | undefined;
  try {
    records = new SqliteRecordStore(file);
    await migrateDynamoRecords({ dynamo, db: createDocumentClient(dynamo), table: config.recordsTable, store: records, logger });
    return { lock, records };
  } catch (error) {
    await records?.close();
    lock.release();
    throw error;
  }
}

/** Every connector with a schedule, for the in-process scheduler's start. */
async function scheduledConnectors(repository: ConnectorRepository) {
  const found = [];
  for await (const item of repository.scanAll()) {
    if (!item.schedule) continue;
    found.push({
      tenant: item.tenant,
      connectorId: item.id,
      schedule: item.schedule,
      timezone: item.timezone,
      enabled: item.status !== "disabled",
      lastFiredAt: item.last_scheduled_at ? new Date(item.last_scheduled_at) : null,
      createdAt: new Date(item.created_at),
    });
  }
  return found;
}
