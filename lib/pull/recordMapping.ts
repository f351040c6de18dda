// Rows to records: `name` from name_column, `source_id` from id_column, every other field
// into vertical_data, values normalised to JSON.
import type { RecordInput } from "../records/types.js";
import type { Row } from "../sources/contract.js";
import { normalizeRow } from "../sources/normalize.js";

export interface RowMapping {
  nameColumn: string;
  idColumn: string;
}

export type MappedRow = { record: RecordInput } | { error: string };

export function mapRow(row: Row, mapping: RowMapping): MappedRow {
  const values = normalizeRow(row);
  const name = values[mapping.nameColumn];
  if (name === undefined || name === null || name === "") {
    return { error: `row has no value in name_column "${mapping.nameColumn}"` };
  }
  const id = values[mapping.idColumn];
  const vertical_data: Record<string, unknown> = {};
  for (const key in values) {
    if (key !== mapping.nameColumn && key !== mapping.idColumn) vertical_data[key] = values[key];
  }
  return {
    record: {
      name: typeof name === "string" ? name : JSON.stringify(name),
      source_id: id === undefined || id === null || id === "" ? null : typeof id === "string" ? id : JSON.stringify(id),
      vertical_data,
    },
  };
}
