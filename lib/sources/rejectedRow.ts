// A row a source read but cannot hand on as a record (a Redis value that is not valid JSON): the
// pull counts it rejected, keeps a dead-letter entry with the reason, and goes on.
import type { Row } from "./contract.js";

/** A symbol, so the mark is never one of the row's fields (Object.keys and for…in skip it). */
const REJECTED = Symbol("sluice.rejectedRow");

export function rejectedRow(reason: string): Row {
  return { [REJECTED]: reason } as Row;
}

/** Why the source rejected this row, if it did. */
export function rowRejection(row: Row): string | undefined {
  return (row as { [REJECTED]?: string })[REJECTED];
}
