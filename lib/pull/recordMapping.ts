// Rows to records: `name` from name_column, `source_id` from id_column, every other field
// into vertical_data, values normalised to JSON.
import type { RecordInput } from "../records/types.js";
import type { Row } from "../sources/contract.js";
import { normalizeValue } from "../sources/normalize.js";
import { rowRejection } from "../sources/rejectedRow.js";

export interface RowMapping {
  nameColumn: string;
  idColumn: string;
}

export type MappedRow = { record: RecordInput } | { error: string };

export function mapRow(row: Row, mapping: RowMapping): MappedRow {
  const rejection = rowRejection(row);
  if (rejection !== undefined) return { error: rejection };
  // One pass: each value is normalised straight into its place (this runs per row of a pull).
  // vertical_data gets its keys in canonical (sorted) order, so the content hash can serialise
  // it natively (canonicalJson's in-order fast path).
  const verticalKeys = verticalOrder(row, mapping);
  const vertical_data: Record<string, unknown> = {};
  for (let i = 0; i < verticalKeys.length; i++) {
    const key = verticalKeys[i]!;
    vertical_data[key] = normalizeValue(row[key]);
  }
  const name = normalizeValue(columnValue(row, mapping.nameColumn));
  const id = normalizeValue(columnValue(row, mapping.idColumn));
  if (name === null || name === "") {
    return { error: `row has no value in name_column "${mapping.nameColumn}"` };
  }
  return {
    record: {
      name: typeof name === "string" ? name : JSON.stringify(name),
      source_id: id === null || id === "" ? null : typeof id === "string" ? id : JSON.stringify(id),
      vertical_data,
    },
  };
}

/**
 * A column's value. `a.b.c` reads into nested objects (REST records) when the row has no key
 * of that name; a flat row pays one lookup, as before.
 */
function columnValue(row: Row, column: string): unknown {
  const value = row[column];
  if (value !== undefined || !column.includes(".") || column in row) return value;
  let current: unknown = row;
  for (const part of column.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

// Rows of one query share their columns: the last column list seen (compared in place, no key
// array built) keeps its sorted vertical_data keys.
let lastColumns: string[] = [];
let lastMapping: RowMapping | undefined;
let lastVertical: string[] = [];

function verticalOrder(row: Row, mapping: RowMapping): string[] {
  if (mapping === lastMapping || (lastMapping && mapping.nameColumn === lastMapping.nameColumn && mapping.idColumn === lastMapping.idColumn)) {
    let i = 0;
    let same = true;
    for (const key in row) {
      if (key !== lastColumns[i++]) {
        same = false;
        break;
      }
    }
    if (same && i === lastColumns.length) return lastVertical;
  }
  lastColumns = Object.keys(row);
  lastMapping = mapping;
  lastVertical = lastColumns.filter((key) => key !== mapping.nameColumn && key !== mapping.idColumn).sort();
  return lastVertical;
}
