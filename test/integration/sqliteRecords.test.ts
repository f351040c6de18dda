// The SQLite data plane under the failures one machine sees: a writer killed with SIGKILL in the
// middle of its batches leaves whole batches only and a file that opens cleanly; a reader in
// another process reads while the writer writes; a second process cannot take the same records
// file, and a lock left by a killed process is taken over. Then the writer thread: errors reach
// the caller, writes apply in call order, close() finishes them, an idle store lets a process exit.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takeWriterLock } from "../../lib/local/writerLock.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";
import type { RecordInput } from "../../lib/records/types.js";

const root = path.resolve(import.meta.dirname, "../..");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sluice-sqlite-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the writer; resolves once it has committed `batches` batches. */
function writer(file: string, size: number, batches: number) {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "test/support/sqliteWriter.ts"), file, String(size)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let committed = -1;
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      const last = /committed (\d+)\n$/.exec(output);
      if (last) committed = Number(last[1]);
      if (committed + 1 >= batches) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    void exited.then(() => reject(new Error(`writer exited early:\n${output}`)));
  });
  return { child, ready, exited, committed: () => committed };
}

const scope = { tenant: "crash", collection: "c", record_type: "r" };

describe("SQLite records file", () => {
  it("a writer killed mid-batch leaves only whole batches, and the file opens cleanly (5 trials)", async () => {
    const size = 2000;
    for (let trial = 0; trial < 5; trial++) {
      const file = path.join(dir, `crash-${trial}.db`);
      const run = writer(file, size, 3 + trial);
      await run.ready;
      // Batches take a few milliseconds each: a kill at a random moment lands inside one.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
      run.child.kill("SIGKILL");
      await run.exited;

      const raw = new Database(file);
      expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
      const perBatch = raw.prepare("SELECT origin_id, count(*) AS n FROM records GROUP BY origin_id").all() as { origin_id: string; n: number }[];
      raw.close();
      expect(perBatch.length).toBeGreaterThanOrEqual(run.committed() + 1);
      for (const batch of perBatch) expect(batch.n).toBe(size);

      const reopened = new SqliteRecordStore(file);
      expect(reopened.count(scope)).toBe(perBatch.length * size);
      expect(await reopened.upsert(scope, [{ source_id: "after", name: "after", vertical_data: {} }], { kind: "push", id: "after" })).toEqual({ uploaded: 1, duplicates: 0 });
      await reopened.close();
    }
  });

  it("a reader in this process reads consistent pages while another process writes", async () => {
    const file = path.join(dir, "readers.db");
    const run = writer(file, 1000, 2);
    await run.ready;
    const reader = new SqliteRecordStore(file);
    try {
      let reads = 0;
      let last = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const count = reader.count(scope);
        expect(count % 1000).toBe(0); // never half a batch
        expect(count).toBeGreaterThanOrEqual(last);
        last = count;
        const page = await reader.list(scope, { limit: 50 });
        expect(page.items).toHaveLength(50);
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(reads).toBeGreaterThan(20);
      expect(last).toBeGreaterThan(2000); // the writer went on meanwhile
    } finally {
      run.child.kill("SIGKILL");
      await run.exited;
      await reader.close();
    }
  });

  it("one process per records file: a live holder is refused with a clear message, a dead one's lock is taken over", async () => {
    const lockFile = path.join(dir, "records.db.lock");
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      await writeFile(lockFile, `${live.pid}\n`);
      expect(() => takeWriterLock(lockFile, "records store x")).toThrow(/records store x cannot be opened \(is another process using it\?\): process \d+ holds/);
    } finally {
      live.kill("SIGKILL");
      await new Promise((resolve) => live.on("exit", resolve));
    }
    const lock = takeWriterLock(lockFile, "records store x"); // its holder is gone
    expect(() => takeWriterLock(lockFile, "records store x")).toThrow(/is another process using it/);
    lock.release();
    takeWriterLock(lockFile, "records store x").release();
  });
});

describe("SQLite writer thread", () => {
  const where = { tenant: "w", collection: "c", record_type: "r" };
  const push = { kind: "push" as const, id: "ing_1" };
  const items = (count: number, prefix: string, extra: Record<string, unknown> = {}): RecordInput[] =>
    Array.from({ length: count }, (_, i) => ({ source_id: `${prefix}${i}`, name: `n${i}`, vertical_data: { i, ...extra } }));

  it("a failed write rejects with SQLite's error and code, stores nothing of its batch, and the store goes on", async () => {
    const file = path.join(dir, "failing.db");
    const store = new SqliteRecordStore(file);
    try {
      // A trigger stands in for a full disk or a corrupt page: the statement fails mid-batch.
      const raw = new Database(file);
      raw.exec("CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.source_id = 'poison' BEGIN SELECT RAISE(ABORT, 'no room for poison'); END");
      raw.close();
      const failed = store.upsert(where, [...items(10, "a"), { source_id: "poison", name: "p", vertical_data: {} }, ...items(10, "b")], push);
      await expect(failed).rejects.toMatchObject({ name: "SqliteError", code: "SQLITE_CONSTRAINT_TRIGGER", message: "no room for poison" });
      await expect(failed).rejects.toBeInstanceOf(Database.SqliteError);
      expect(store.count(where)).toBe(0); // the whole batch rolled back
      expect(await store.upsert(where, items(10, "a"), push)).toEqual({ uploaded: 10, duplicates: 0 });
      expect(store.count(where)).toBe(10);
      // A batch goes to the thread in parts, one transaction: a failure in its first part or in
      // its last rolls back all of it, and the writes queued behind it are applied.
      const big = (at: number) => {
        const records = items(1200, `big${at}-`);
        records[at] = { source_id: "poison", name: "p", vertical_data: {} };
        return records;
      };
      const queued = [store.upsert(where, big(3), push), store.upsert(where, items(5, "c"), push), store.upsert(where, big(1150), push), store.upsert(where, items(5, "d"), push)];
      const settled = await Promise.allSettled(queued);
      expect(settled.map((r) => r.status)).toEqual(["rejected", "fulfilled", "rejected", "fulfilled"]);
      expect(store.count(where)).toBe(20);
    } finally {
      await store.close();
    }
  });

  it("writes apply in call order, each read after a write sees it, and close() finishes the writes asked for", async () => {
    const file = path.join(dir, "ordered.db");
    const store = new SqliteRecordStore(file);
    // Not awaited one by one: all are queued before the first is done.
    const writes = Array.from({ length: 20 }, (_, n) => store.upsert(where, [{ source_id: "same", name: `v${n}`, vertical_data: { n } }, ...items(100, `w${n}-`)], push));
    const results = await Promise.all(writes);
    expect(results.every((r) => r.uploaded === 101 && r.duplicates === 0)).toBe(true);
    expect((await store.get(where, "same")).name).toBe("v19");
    for (let n = 0; n < 10; n++) {
      await store.upsert(where, [{ source_id: `fresh${n}`, name: "f", vertical_data: {} }], push);
      expect((await store.get(where, `fresh${n}`)).name).toBe("f");
    }
    const last = Array.from({ length: 5 }, (_, n) => store.upsert(where, items(500, `late${n}-`), push));
    await store.close();
    expect(await Promise.all(last)).toEqual(Array(5).fill({ uploaded: 500, duplicates: 0 }));
    await expect(store.upsert(where, items(1, "closed"), push)).rejects.toThrow(/closed/);
    const reopened = new SqliteRecordStore(file);
    expect(reopened.count(where)).toBe(1 + 20 * 100 + 10 + 5 * 500);
    await reopened.close();
  });

  it("batches upserted many records to a statement keep the rules: changed and new ones written, the same run's own counted as uploaded", async () => {
    const store = new SqliteRecordStore(path.join(dir, "repull.db"));
    try {
      const batch = items(100, "r");
      expect(await store.upsert(where, batch, push)).toEqual({ uploaded: 100, duplicates: 0 });
      expect(await store.upsert(where, batch, push)).toEqual({ uploaded: 0, duplicates: 100 });
      const run = { kind: "pull" as const, id: "run_9", connector_id: "con_9" };
      // 120 records: one statement of 100, then 20 one by one.
      const changed = [...items(30, "r", { changed: true }), ...batch.slice(30), ...items(20, "new")];
      expect(await store.upsert(where, changed, run)).toEqual({ uploaded: 50, duplicates: 70 });
      // The same run again: what it stored counts as uploaded, what the push stored stays a duplicate.
      expect(await store.upsert(where, changed, run)).toEqual({ uploaded: 50, duplicates: 70 });
      expect(await store.get(where, "r5")).toMatchObject({ vertical_data: { i: 5, changed: true }, origin: { kind: "pull", id: "run_9" } });
      expect(await store.get(where, "r50")).toMatchObject({ vertical_data: { i: 50 }, origin: { kind: "push", id: "ing_1" } });
      expect(store.count(where)).toBe(120);
    } finally {
      await store.close();
    }
  });

  it("an idle store does not keep its process alive", async () => {
    const file = path.join(dir, "idle.db");
    const script = `import { SqliteRecordStore } from ${JSON.stringify(path.join(root, "lib/records/sqlite.ts"))};
      const store = new SqliteRecordStore(${JSON.stringify(file)});
      await store.upsert({ tenant: "w", collection: "c", record_type: "r" }, [{ source_id: "x", name: "x", vertical_data: {} }], { kind: "push", id: "p" });
      console.log("written");`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(stdout.trim()).toBe("written");
  });
});
