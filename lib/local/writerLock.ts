// One service process per data dir. dynalite's LevelDB lock gives that when the control plane is
// embedded; this lock file gives it to the records file too (e.g. with DYNAMODB_ENDPOINT), with
// the same message. A lock left by a process that died (kill -9) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

export interface WriterLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function takeWriterLock(file: string, what: string): WriterLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(file, "utf8"), 10);
    } catch {
      continue; // released meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new Error(`${what} cannot be opened (is another process using it?): process ${holder} holds ${file}`);
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`${what} cannot be opened (is another process using it?): ${file} keeps changing`);
}
