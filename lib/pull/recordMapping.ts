// Rows to records: `name` from name_column, `source_id` from id_column, every other field
// into vertical_data, values normalised to JSON.
import type { RecordInput } from "../records/types.js";
import type { Row } from "../sources/contract.js";
import { normalizeValue, type JsonValue } from "../sources/normalize.js";

export interface RowMapping {
  nameColumn: string;
  idColumn: string;
}

export type MappedRow = { record: RecordInput } | { error: string };

export function mapRow(row: Row, mapping: RowMapping): MappedRow {
  // One pass: each value is normalised straight into its place (this runs per row of a pull).
  let name: JsonValue | undefined;
  let id: JsonValue | undefined;
  const vertical_data: Record<string, unknown> = {};
  for (const key in row) {
    const value = normalizeValue(row[key]);
    if (key === mapping.nameColumn) name = value;
    else if (key === mapping.idColumn) id = value;
    else vertical_data[key] = value;
  }
  if (name === undefined || name === null || name === "") {
    return { error: `row has no value in name_column "${mapping.nameColumn}"` };
  }
  return {
    record: {
      name: typeof name === "string" ? name : JSON.stringify(name),
      source_id: id === undefined || id === null || id === "" ? null : typeof id === "string" ? id : JSON.stringify(id),
      vertical_data,
    },
  };
}
