// Groups a stream of rows into arrays of at most `size`, for sources whose driver hands out
// one row at a time (MySQL stream, MongoDB cursor, Neo4j records).
import type { Row } from "./contract.js";

export async function* inBatches<T>(items: AsyncIterable<T>, size: number, toRow: (item: T) => Row): AsyncIterable<Row[]> {
  let batch: Row[] = [];
  for await (const item of items) {
    batch.push(toRow(item));
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
