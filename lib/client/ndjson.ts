// An NDJSON request body drawn from an async iterable: the next items are read only when the
// connection asks for more bytes, so a slow service slows the producer instead of filling memory.

/** A record (sent as one JSON line), a line of text, or raw NDJSON bytes passed through as they are. */
export type NdjsonItem = object | string | Uint8Array;

/** Bytes gathered before a chunk is handed to the connection: few syscalls, bounded memory. */
const CHUNK_BYTES = 64 * 1024;

export interface NdjsonBodyOptions {
  /** Called with the bytes handed to the connection so far. */
  onBytes?: (sent: number) => void;
  /** Once aborted (the request has ended), the source is not read again and is closed. */
  signal?: AbortSignal;
}

function encodeItem(item: NdjsonItem): Uint8Array {
  if (item instanceof Uint8Array) return item;
  if (typeof item === "string") return Buffer.from(item.endsWith("\n") ? item : `${item}\n`);
  return Buffer.from(`${JSON.stringify(item)}\n`);
}

export function ndjsonBody(source: AsyncIterable<NdjsonItem> | Iterable<NdjsonItem>, options: NdjsonBodyOptions = {}): ReadableStream<Uint8Array> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<NdjsonItem>)[Symbol.iterator]();
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      // Called only when the stream's queue is below its high-water mark: that is the backpressure.
      async pull(controller) {
        // A turn of the event loop per chunk: an endless, always-ready source cannot starve timers and I/O.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) {
          controller.error(options.signal.reason);
          await iterator.return?.();
          return;
        }
        const parts: Uint8Array[] = [];
        let size = 0;
        while (size < CHUNK_BYTES) {
          const next = await iterator.next();
          if (next.done) break;
          const bytes = encodeItem(next.value);
          parts.push(bytes);
          size += bytes.byteLength;
        }
        if (size > 0) {
          controller.enqueue(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
          sent += size;
          options.onBytes?.(sent);
        }
        if (size < CHUNK_BYTES) controller.close();
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1, size: () => 1 },
  );
}
