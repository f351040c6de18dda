// Rows to records: columns into place, vertical_data in canonical key order, shapes switching
// between rows of different queries.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../records/contentHash.js";
import { mapRow } from "./recordMapping.js";

const mapping = { nameColumn: "title", idColumn: "id" };

describe("mapRow", () => {
  it("takes name and source_id from their columns and sorts the rest into vertical_data", () => {
    const mapped = mapRow({ id: 7, title: "Widget", zeta: 1, alpha: new Date("2024-01-02T00:00:00Z"), mid: 12n }, mapping);
    expect(mapped).toEqual({ record: { name: "Widget", source_id: "7", vertical_data: { alpha: "2024-01-02T00:00:00.000Z", mid: 12, zeta: 1 } } });
    const record = (mapped as { record: { vertical_data: Record<string, unknown> } }).record;
    expect(Object.keys(record.vertical_data)).toEqual(["alpha", "mid", "zeta"]);
    expect(canonicalJson(record.vertical_data)).toBe('{"alpha":"2024-01-02T00:00:00.000Z","mid":12,"zeta":1}');
  });

  it("follows a change of columns and of mapping between rows", () => {
    expect(mapRow({ id: 1, title: "a", b: 1 }, mapping)).toEqual({ record: { name: "a", source_id: "1", vertical_data: { b: 1 } } });
    expect(mapRow({ id: 2, title: "b", c: 2, b: 1 }, mapping)).toEqual({ record: { name: "b", source_id: "2", vertical_data: { b: 1, c: 2 } } });
    expect(mapRow({ id: 2, title: "b", c: 2, b: 1 }, { nameColumn: "c", idColumn: "b" })).toEqual({
      record: { name: "2", source_id: "1", vertical_data: { id: 2, title: "b" } },
    });
    expect(mapRow({ title: "c" }, mapping)).toEqual({ record: { name: "c", source_id: null, vertical_data: {} } });
  });

  it("reports a row without a name", () => {
    expect(mapRow({ id: 1, title: null }, mapping)).toEqual({ error: 'row has no value in name_column "title"' });
    expect(mapRow({ id: 1 }, mapping)).toEqual({ error: 'row has no value in name_column "title"' });
  });
});
