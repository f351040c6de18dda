// The SQLite data plane under the failures one machine sees: a writer killed with SIGKILL in the
// middle of its batches leaves whole batches only and a file that opens cleanly; a reader in
// another process reads while the writer writes; a second process cannot take the same records
// file, and a lock left by a killed process is taken over.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takeWriterLock } from "../../lib/local/writerLock.js";
import { SqliteRecordStore } from "../../lib/records/sqlite.js";

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
