// Server-side cursors: the results a find or aggregate has not returned yet wait here under
// a cursor id until getMore drains them or killCursors drops them.
import { randomBytes } from "node:crypto";
import { BSON, Long, type Document } from "bson";
import { CommandError, cursorNotFound } from "./errors.js";

const DEFAULT_FIRST_BATCH = 101;
// A reply must stay under maxBsonObjectSize (16 MiB); leave room for the envelope.
const BATCH_BYTE_LIMIT = 16 * 1024 * 1024 - 64 * 1024;

/**
 * Results not yet returned. A lazy source (an unsorted find) evaluates its filter only as
 * batches are taken, as MongoDB does: an error at the 150th document surfaces in a getMore.
 */
class Remaining {
  #peeked: IteratorResult<Document> | undefined;
  constructor(private readonly source: Iterator<Document>) {}

  private peek(): IteratorResult<Document> {
    this.#peeked ??= this.source.next();
    return this.#peeked;
  }

  get empty(): boolean {
    return this.peek().done === true;
  }

  take(limit: number): Document[] {
    const batch: Document[] = [];
    let bytes = 0;
    while (batch.length < limit && !this.empty) {
      const doc = this.peek().value as Document;
      bytes += BSON.calculateObjectSize(doc);
      if (batch.length > 0 && bytes > BATCH_BYTE_LIMIT) break;
      batch.push(doc);
      this.#peeked = undefined;
    }
    return batch;
  }
}

interface OpenCursor {
  ns: string;
  remaining: Remaining;
}

export class CursorRegistry {
  readonly #open = new Map<string, OpenCursor>();

  get openCount(): number {
    return this.#open.size;
  }

  /** Replies with the first batch; a cursor stays open only if results remain. */
  open(ns: string, results: Iterable<Document>, batchSize?: number, singleBatch = false): Document {
    const remaining = new Remaining(results[Symbol.iterator]());
    const firstBatch = remaining.take(batchSize ?? DEFAULT_FIRST_BATCH);
    let id = Long.ZERO;
    if (!remaining.empty && !singleBatch) {
      id = Long.fromBigInt(randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn);
      this.#open.set(id.toString(), { ns, remaining });
    }
    return { cursor: { firstBatch, id, ns }, ok: 1 };
  }

  next(id: Long, ns: string, batchSize?: number): Document {
    const cursor = this.#open.get(id.toString());
    if (!cursor) throw cursorNotFound(id.toString());
    if (cursor.ns !== ns) {
      const message = `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`;
      throw new CommandError(13, "Unauthorized", message);
    }
    // Without a batchSize, getMore returns as much as fits in one reply.
    let nextBatch: Document[];
    try {
      nextBatch = cursor.remaining.take(batchSize || Infinity);
    } catch (error) {
      this.#open.delete(id.toString()); // a failed cursor is gone, as on a real server
      throw error;
    }
    const exhausted = cursor.remaining.empty;
    if (exhausted) this.#open.delete(id.toString());
    return { cursor: { nextBatch, id: exhausted ? Long.ZERO : id, ns }, ok: 1 };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed = ids.filter((id) => this.#open.delete(id.toString()));
    return { killed, notFound: ids.filter((id) => !killed.includes(id)) };
  }
}
