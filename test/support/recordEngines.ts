// The records adapters the records contract suite runs on, for `describe.each(recordEngines)`:
// SQLite on a temp file (the local default), and the DynamoDB adapter on dynalite and on AWS's
// DynamoDB Local. Each gives fresh stores over one started engine.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
import type { RecordStore } from "../../lib/records/contract.js";
import { DynamoRecordStore } from "../../lib/records/dynamodb.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoClientConfig, dynamoEngines } from "./engines.js";

export interface RecordEngine {
  /** A store over the engine; stores of one engine share its data. */
  store(options?: { now?: () => Date }): RecordStore;
  stop(): Promise<void>;
}

export const recordEngines: { name: string; start(): Promise<RecordEngine> }[] = [
  {
    name: "sqlite",
    async start() {
      const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-records-"));
      const file = path.join(dir, "records.db");
      const opened: SqliteRecordStore[] = [];
      return {
        store: (options) => {
          const store = new SqliteRecordStore(file, options);
          opened.push(store);
          return store;
        },
        stop: async () => {
          for (const store of opened) await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  ...dynamoEngines.map((engine) => ({
    name: engine.name,
    async start(): Promise<RecordEngine> {
      const running = await engine.start();
      const client = new DynamoDBClient(dynamoClientConfig(running.endpoint));
      const table = `records-${engine.name}`;
      await ensureTables(client, { control: `control-${engine.name}`, records: table });
      const db = createDocumentClient(client);
      return {
        store: (options) => new DynamoRecordStore(db, table, options),
        stop: async () => {
          client.destroy();
          await running.stop();
        },
      };
    },
  })),
];

/** For a suite: starts the engine before its tests, stops it after. */
export function useRecordEngine(engine: { start(): Promise<RecordEngine> }): { store: RecordEngine["store"] } {
  let running: RecordEngine | undefined;
  beforeAll(async () => {
    running = await engine.start();
  });
  afterAll(async () => {
    await running?.stop();
  });
  return { store: (options) => running!.store(options) };
}
