// Dynalite (the DynamoDB API over LevelDB) run inside this process: the table store behind
// `npm start` and the in-process engine of the store tests.
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { resolve } from "node:path";
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";

export interface DynaliteServer {
  endpoint: string;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** LevelDB directory, created when missing; in memory when absent. */
  path?: string;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 0: a free port. */
  port?: number;
}

// A dynalite whose LevelDB directory is locked (by another process, or another server in
// this one) does not fail at start: its first request throws an uncaught error that ends
// the process. So a path is checked before dynalite gets it, and tracked while it is open.
const openPaths = new Set<string>();

export async function startDynalite(opts: DynaliteOptions = {}): Promise<DynaliteServer> {
  const { path, host = "127.0.0.1", port = 0 } = opts;
  const location = path === undefined ? undefined : resolve(path);
  if (location !== undefined) await claimStore(location);
  const release = () => location !== undefined && openPaths.delete(location);

  // Zero delays: tables go ACTIVE at once, as tests and the local runtime expect.
  const server = dynalite({ path: location, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await listen(server, port, host);
  } catch (err) {
    await releaseStore(server);
    release();
    throw new Error(`dynalite could not listen on ${host}:${port}`, { cause: err });
  }

  const bound = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  let closing: Promise<void> | undefined;
  // dynalite's own close() stops the http server, then closes LevelDB, releasing its LOCK.
  const close = () => (closing ??= closeServer(server).finally(release));

  if (location !== undefined) {
    try {
      await untilStoreOpen(endpoint);
    } catch (err) {
      await close().catch(() => undefined);
      throw new Error(`dynalite store ${location} did not open`, { cause: err });
    }
  }
  return { endpoint, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
  });
}

// dynalite opens LevelDB when it is built, but its close() returns before closing the
// database when the server never listened, so a failed listen would keep the LOCK held.
// Listening briefly on a loopback port lets close() run its whole course.
async function releaseStore(server: Server): Promise<void> {
  try {
    await listen(server, 0, "127.0.0.1");
    await closeServer(server);
  } catch {
    // The caller reports the original listen error.
  }
}

interface LevelStore {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Marks `location` as open here, after checking no one holds it (with dynalite's `level`). */
async function claimStore(location: string): Promise<void> {
  if (openPaths.has(location)) {
    throw new Error(`dynalite store ${location} cannot be opened: a dynalite in this process has it`);
  }
  openPaths.add(location);
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve("dynalite"));
  const { Level } = fromDynalite("level") as { Level: new (location: string) => LevelStore };
  const store = new Level(location);
  try {
    await store.open();
    await store.close();
  } catch (err) {
    openPaths.delete(location);
    throw new Error(`dynalite store ${location} cannot be opened (is another process using it?)`, {
      cause: err,
    });
  }
}

// LevelDB opens in the background after dynalite is built. A read that reaches it (a table
// that does not exist) returns only once it is open, so when start resolves the LOCK is held
// and a check from elsewhere sees it.
async function untilStoreOpen(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: "dynalite-open-check" }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  } finally {
    client.destroy();
  }
}
