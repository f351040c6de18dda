// A bounded read-ahead over an async iterable: up to `depth` items are requested before the
// consumer asks for them, so the source's I/O runs while the consumer maps, hashes and writes the
// item it has. Memory is bounded by `depth` items; closing the consumer closes the source.
export async function* readAhead<T>(items: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  let ended = false;
  try {
    for (;;) {
      while (!ended && queue.length < depth) {
        const next = iterator.next();
        next.catch(() => undefined); // awaited in turn below; one never reached must not crash the process
        queue.push(next);
      }
      const result = await queue.shift()!;
      if (result.done) {
        ended = true;
        return;
      }
      yield result.value;
    }
  } finally {
    // Requests already made are let finish before the source is told to stop.
    await Promise.allSettled(queue);
    if (!ended) await iterator.return?.(undefined);
  }
}
