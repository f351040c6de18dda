// Server-side cursors: the results a find or aggregate has not returned yet wait here under
// a cursor id until getMore drains them or killCursors drops them.
import { randomBytes } from "node:crypto";
import { BSON, Long, type Document } from "bson";
import { CommandError, cursorNotFound } from "./errors.js";

const DEFAULT_FIRST_BATCH = 101;
// A reply must stay under maxBsonObjectSize (16 MiB); leave room for the envelope.
const BATCH_BYTE_LIMIT = 16 * 1024 * 1024 - 64 * 1024;

interface OpenCursor {
  ns: string;
  remaining: Document[];
}

function takeBatch(docs: Document[], limit: number): Document[] {
  let bytes = 0;
  let count = 0;
  while (count < docs.length && count < limit) {
    bytes += BSON.calculateObjectSize(docs[count]!);
    if (count > 0 && bytes > BATCH_BYTE_LIMIT) break;
    count++;
  }
  return docs.splice(0, count);
}

export class CursorRegistry {
  readonly #open = new Map<string, OpenCursor>();

  get openCount(): number {
    return this.#open.size;
  }

  /** Replies with the first batch; a cursor stays open only if results remain. */
  open(ns: string, results: Document[], batchSize?: number, singleBatch = false): Document {
    const remaining = [...results];
    const firstBatch = takeBatch(remaining, batchSize ?? DEFAULT_FIRST_BATCH);
    let id = Long.ZERO;
    if (remaining.length > 0 && !singleBatch) {
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
    const nextBatch = takeBatch(cursor.remaining, batchSize || Infinity);
    const exhausted = cursor.remaining.length === 0;
    if (exhausted) this.#open.delete(id.toString());
    return { cursor: { nextBatch, id: exhausted ? Long.ZERO : id, ns }, ok: 1 };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed = ids.filter((id) => this.#open.delete(id.toString()));
    return { killed, notFound: ids.filter((id) => !killed.includes(id)) };
  }
}
