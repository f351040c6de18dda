// Which queries count as a plain read of one table (and so may be read in ctid order): the
// conservative parse, where anything it does not expect means no ctid order.
import { describe, expect, it } from "vitest";
import { plainRead } from "../../../lib/sources/postgresCtid.js";

describe("plainRead", () => {
  it("finds the table, where FROM starts, where the table ends, and the condition", () => {
    const sql = "SELECT id, name FROM public.devices AS d WHERE d.seen_at > $1 AND d.name <> 'x'";
    const read = plainRead(sql)!;
    expect(read).toMatchObject({ table: "public.devices", condition: "d.seen_at > $1 AND d.name <> 'x'" });
    expect(sql.slice(read.fromAt, read.sourceEnd)).toBe("FROM public.devices AS d");
  });

  it.each([
    ["SELECT * FROM devices", "devices", undefined],
    ['select "Mac", name from "Net"."Devices" d where true', '"Net"."Devices"', "true"],
    ["SELECT *\nFROM devices -- every row\n", "devices", undefined],
    ["SELECT a /* FROM x */, 'FROM y' AS \"FROM\" FROM t WHERE b = 'it''s' -- LIMIT 1", "t", "b = 'it''s'"],
    ["SELECT $tag$ a JOIN b $tag$ AS s, e'\\' UNION' AS u FROM t", "t", undefined],
    ["SELECT substring(code FROM 2 FOR 3), extract(year FROM seen_at) FROM t WHERE (a OR b) AND c::text IN ('1', '2')", "t", "(a OR b) AND c::text IN ('1', '2')"],
    ["SELECT /* nested /* comment */ still */ id FROM events", "events", undefined],
  ])("accepts %j", (sql, table, condition) => {
    const read = plainRead(sql);
    expect(read?.table).toBe(table);
    expect(read?.condition).toBe(condition);
  });

  it.each([
    "SELECT d.id FROM devices d JOIN owners o ON o.id = d.owner",
    "SELECT id FROM devices, owners",
    "SELECT id FROM devices d, pg_sleep(0) AS s",
    "SELECT DISTINCT name FROM devices",
    "SELECT name, count(*) FROM devices GROUP BY name",
    "SELECT name FROM devices GROUP BY name HAVING count(*) > 1",
    "SELECT name FROM devices ORDER BY name",
    "SELECT name FROM devices LIMIT 10",
    "SELECT name FROM devices OFFSET 10",
    "SELECT name FROM devices FETCH FIRST 10 ROWS ONLY",
    "SELECT name FROM devices UNION SELECT name FROM owners",
    "SELECT name FROM devices EXCEPT SELECT name FROM owners",
    "SELECT name FROM devices INTERSECT SELECT name FROM owners",
    "WITH d AS (SELECT * FROM devices) SELECT * FROM d",
    "SELECT name FROM devices WHERE owner IN (SELECT id FROM owners)",
    "SELECT (SELECT 1) AS one FROM devices",
    "SELECT name FROM devices WHERE EXISTS (VALUES (1))",
    "SELECT name FROM devices FOR UPDATE",
    "SELECT row_number() OVER (ORDER BY name) FROM devices",
    "SELECT name FROM ONLY devices",
    "SELECT * FROM generate_series(1, 10)",
    "SELECT * FROM (SELECT 1) AS s",
    "SELECT * FROM db.public.devices",
    "SELECT * FROM devices AS",
    "SELECT * FROM devices WHERE",
    "SELECT * FROM devices TABLESAMPLE SYSTEM (10)",
    "SELECT 1",
    "SELECT FROM devices",
    "SELECT * FROM devices; DELETE FROM devices",
    "SELECT * FROM devices WHERE name = 'unterminated",
    'SELECT * FROM "unterminated',
    "SELECT * FROM devices /* unterminated",
    "SELECT * FROM devices WHERE (a",
    "SELECT * FROM devices WHERE a)",
    'SELECT * FROM U&"d\\0061ta"',
    "TABLE devices",
    "VALUES (1)",
  ])("refuses %j", (sql) => {
    expect(plainRead(sql)).toBeUndefined();
  });
});
