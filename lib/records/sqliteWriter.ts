// The SQLite records store's writer: a worker thread owns the write connection, so a batch's
// transaction (binding, B-tree work, commit) runs on another core while the pull reads, maps and
// hashes the next batch, instead of blocking the thread that does. One thread takes the requests
// in the order they were posted, so writes apply in call order.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { PreparedRecord } from "./prepare.js";
import type { RestoredRecord } from "./sqlite.js";

const COLUMNS = "tenant, collection, record_type, source_id, name, vertical_data, content_hash, origin_kind, origin_id, connector_id, created_at, updated_at";

/**
 * The writer's statements; the thread prepares them on its own connection. A batch is upserted
 * ROWS_PER_STATEMENT records to a statement: one call binds a record's own four values and names
 * the batch's shared ones once, where a statement per record bound all twelve every time — a
 * third less CPU for a new record, nearly half for an unchanged one.
 */
const SQL = {
  upsertHead: `INSERT INTO records (${COLUMNS}) VALUES `,
  upsertRow: "(@tenant, @collection, @record_type, ?, ?, ?, ?, @origin_kind, @origin_id, @connector_id, @now, @now)",
  // created_at stays; an unchanged hash updates nothing, so `changes` is 0 for a duplicate —
  // unless this same pull run stored it (a resumed run re-reading its last batch): that one
  // counts as uploaded, as it did the first time.
  upsertTail: `
    ON CONFLICT (tenant, collection, record_type, source_id) DO UPDATE SET
      name = excluded.name, vertical_data = excluded.vertical_data, content_hash = excluded.content_hash,
      origin_kind = excluded.origin_kind, origin_id = excluded.origin_id, connector_id = excluded.connector_id,
      updated_at = excluded.updated_at
    WHERE records.content_hash <> excluded.content_hash OR (excluded.origin_kind = 'pull' AND records.origin_id = excluded.origin_id)`,
  restore: `INSERT INTO records (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  setMeta: "INSERT INTO sluice_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

const ROWS_PER_STATEMENT = 100;

/**
 * Page cache of each connection, KiB, where better-sqlite3 gives each 16 MB (a full pull fills
 * it): the writer's upserts of 1M records measured the same with 2 MB as with 32 MB, as the OS
 * page cache serves what SQLite's misses, and the reader's point reads and pages need less.
 */
export const READER_CACHE_KIB = 2000;
const WRITER_CACHE_KIB = 4000;

/**
 * A batch goes to the thread in parts of this many records, all in its one transaction: a part
 * is garbage once stored, where a whole batch held through its transaction outlived the thread's
 * young-generation collections and filled its old generation (memory, and collection time).
 */
const RECORDS_PER_PART = 250;

export interface WriteRequest {
  scope: [tenant: string, collection: string, record_type: string];
  origin: [kind: string, id: string, connector_id: string | null];
  now: string;
  records: PreparedRecord[];
}

export interface RestoreRequest {
  op: "restore";
  records: RestoredRecord[];
  meta: [string, string][];
}

// The thread's code is a string run with `eval`, not a module file: under tsx a .ts worker file
// needs the loader inside the thread, and inside an esbuild bundle (the benchmark's workers) no
// such file sits beside the bundle. Plain JavaScript, so no transform can touch it; the driver
// is loaded by the path resolved here, where the project's node_modules are known.
const THREAD = String.raw`"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const { file, sql } = workerData;
let ops;
const NO_REPLY = Symbol("no reply");

function open() {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses
    // nothing committed; only a power cut can lose the last commits, never corrupt the file.
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("cache_size = -" + workerData.cacheKib);
    const upsertOf = (n) => db.prepare(sql.upsertHead + Array(n).fill(sql.upsertRow).join(", ") + sql.upsertTail);
    const upsertMany = upsertOf(workerData.rowsPerStatement);
    const upsertOne = upsertOf(1);
    const restore = db.prepare(sql.restore);
    const setMeta = db.prepare(sql.setMeta);
    const step = 4 * workerData.rowsPerStatement;
    let written = 0;
    // One batch is one transaction over its parts, which arrive in a row.
    const write = (m) => {
      if (m.first) {
        if (db.inTransaction) db.exec("ROLLBACK"); // left by a failed batch whose ROLLBACK failed too
        db.exec("BEGIN");
        written = 0;
      }
      const shared = { tenant: m.scope[0], collection: m.scope[1], record_type: m.scope[2], origin_kind: m.origin[0], origin_id: m.origin[1], connector_id: m.origin[2], now: m.now };
      const r = m.records;
      let i = 0;
      for (; i + step <= r.length; i += step) written += upsertMany.run(shared, ...r.slice(i, i + step)).changes;
      for (; i < r.length; i += 4) written += upsertOne.run(shared, r[i], r[i + 1], r[i + 2], r[i + 3]).changes;
      if (!m.last) return NO_REPLY;
      db.exec("COMMIT");
      return written;
    };
    const restoreAll = db.transaction((m) => {
      let written = 0;
      for (const x of m.records) {
        const o = x.origin;
        written += restore.run(x.tenant, x.collection, x.record_type, x.source_id, x.name, x.vertical_data, x.content_hash, o.kind, o.id, o.connector_id ?? null, x.created_at, x.updated_at).changes;
      }
      for (const [key, value] of m.meta) setMeta.run(key, value);
      return written;
    });
    return { db, write, restore: restoreAll };
  } catch (error) {
    db.close();
    throw error;
  }
}

// A write whose part failed: it was answered, and its other parts are passed over.
let failed = -1;
parentPort.on("message", (m) => {
  if (m.id === failed) return;
  try {
    if (m.op === "close") {
      if (ops) ops.db.close();
      parentPort.postMessage({ id: m.id });
      parentPort.close();
      return;
    }
    ops ??= open();
    const value = ops[m.op](m);
    if (value !== NO_REPLY) parentPort.postMessage({ id: m.id, value });
  } catch (error) {
    if (m.op === "write" && !m.last) failed = m.id;
    try {
      if (ops && ops.db.inTransaction) ops.db.exec("ROLLBACK");
    } catch {
      // the next batch's first part rolls back first
    }
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ id: m.id, error: { name: e.name, message: e.message, code: typeof e.code === "string" ? e.code : undefined } });
  }
});
`;

interface Reply {
  id: number;
  value?: unknown;
  error?: { name: string; message: string; code?: string };
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private nextId = 0;
  /** Set once the thread cannot take requests (it stopped, or close() was called). */
  private stopped: Error | undefined;

  constructor(file: string) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    // execArgv []: the thread runs plain JavaScript, it needs no loader (tsx) of the parent's.
    this.worker = new Worker(THREAD, { eval: true, workerData: { driver, file, sql: SQL, rowsPerStatement: ROWS_PER_STATEMENT, cacheKib: WRITER_CACHE_KIB }, execArgv: [] });
    // Idle, the thread does not keep the process alive (the synchronous store did not either);
    // a request in flight does, like any pending I/O.
    this.worker.unref();
    this.worker.on("message", (reply: Reply) => this.settle(reply));
    this.worker.on("error", (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (code) => {
        this.fail(new Error(`the SQLite writer thread of ${file} stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  /** Stores a batch in one transaction; resolves with the rows it inserted or changed. */
  write({ records, ...shared }: WriteRequest): Promise<number> {
    return this.request((id) => {
      let start = 0;
      do {
        const end = Math.min(start + RECORDS_PER_PART, records.length);
        this.worker.postMessage({ op: "write", id, ...shared, records: flatten(records, start, end), first: start === 0, last: end === records.length });
        start = end;
      } while (start < records.length);
    }) as Promise<number>;
  }

  restore(request: RestoreRequest): Promise<number> {
    return this.request((id) => this.worker.postMessage({ ...request, id })) as Promise<number>;
  }

  /** Lets the requests already posted finish, then closes the connection and ends the thread. */
  async close(): Promise<void> {
    if (!this.stopped) {
      const closed = this.request((id) => this.worker.postMessage({ op: "close", id }));
      this.stopped = new Error("the SQLite records store is closed");
      await closed.catch(() => undefined); // a thread that died already has nothing to close
    }
    this.worker.ref(); // until it has exited
    await this.exited;
  }

  /** `post` sends the request's message(s) under its id; the thread answers each id once. */
  private request(post: (id: number) => void): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      post(id);
    });
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error) pending.reject(errorOf(reply.error));
    else pending.resolve(reply.value);
  }

  /** The thread is gone: what was asked of it fails, and so does anything asked later. */
  private fail(error: Error): void {
    this.stopped ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** The records' fields in turn (source_id, name, vertical_data, content_hash): the cheapest thing to post. */
function flatten(records: PreparedRecord[], start: number, end: number): string[] {
  const flat = new Array<string>((end - start) * 4);
  for (let i = start, j = 0; i < end; i++) {
    const r = records[i]!;
    flat[j++] = r.source_id;
    flat[j++] = r.name;
    flat[j++] = r.vertical_data;
    flat[j++] = r.content_hash;
  }
  return flat;
}

/** The thread's error as the caller's: an SQLite one keeps its class and code (SQLITE_FULL…). */
function errorOf(error: NonNullable<Reply["error"]>): Error {
  if (error.code?.startsWith("SQLITE_")) return new Database.SqliteError(error.message, error.code);
  const out = new Error(error.message);
  out.name = error.name;
  return out;
}
