import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseTimestamptz } from "../../../lib/sources/postgres.js";

const viaDate = (text: string) => (pg.types.getTypeParser(1184, "text")(text) as Date).toISOString();

describe("parseTimestamptz (a UTC session's timestamptz text → ISO 8601)", () => {
  it.each(["2026-11-22 10:00:00.123456+00", "2026-11-22 10:00:00+00", "2026-11-22 10:00:00.5+00", "1970-01-01 00:00:00.000999+00", "9999-12-31 23:59:59.999+00"])(
    "%s reads as the Date path would give it",
    (text) => {
      expect(parseTimestamptz(text)).toBe(viaDate(text));
    },
  );

  it.each(["2026-11-22 10:00:00+05:30", "0044-03-15 00:00:00+00 BC", "infinity", "-infinity"])("%s falls back to pg's parser", (text) => {
    expect(parseTimestamptz(text)).toEqual(pg.types.getTypeParser(1184, "text")(text));
  });
});
