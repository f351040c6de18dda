// The stages of a pull, overlapped: batches are read ahead (bounded), and the next batch is mapped
// and hashed while the previous one is being written. Writes stay in order, one at a time, so a
// source_id read twice ends with its later row, and the slowest stage sets the pace; memory holds
// at most `depth` batches read ahead, one being mapped and one being written.
import type { Row } from "../sources/contract.js";
import { readAhead } from "./readAhead.js";

export interface PullStages<T> {
  /** Synchronous: rows to what `write` takes (mapping, normalising, screening). */
  map(rows: Row[]): T;
  /** Stores a mapped batch; the next batch's write starts only after this one's settled. */
  write(mapped: T, rows: Row[]): Promise<void>;
  /** Called before each batch is mapped; throws to stop the pull (a lost lease). */
  check?(): void;
}

// One: with the write off the main thread (SqliteRecordStore's writer) a batch is written while
// the next is mapped, and a source keeps its own next read in flight (PostgreSQL's FETCH, the
// drivers' stream buffers); a second batch read ahead measured no faster and held a batch more.
export const DEFAULT_READ_AHEAD = 1;

export async function pump<T>(batches: AsyncIterable<Row[]>, stages: PullStages<T>, depth = DEFAULT_READ_AHEAD): Promise<void> {
  let writing: Promise<void> | undefined;
  try {
    for await (const rows of readAhead(batches, depth)) {
      stages.check?.();
      const mapped = stages.map(rows);
      await writing;
      writing = stages.write(mapped, rows);
      writing.catch(() => undefined); // awaited next round or below; handled there
    }
    await writing;
  } finally {
    // A failed read or map must not leave a write running past the pull's end.
    await writing?.catch(() => undefined);
  }
}
