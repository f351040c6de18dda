import { describe, expect, it } from "vitest";
import {
  nextFireTime,
  parseCron,
  previousFireTime,
  toEventBridgeCron,
  validateCron,
} from "../../../lib/schedule/cron.js";
import { CronError } from "../../../lib/schedule/errors.js";

describe("toEventBridgeCron", () => {
  it.each([
    // the seed examples
    ["0 2 * * *", "cron(0 2 * * ? *)"],
    ["0 */6 * * *", "cron(0 0/6 * * ? *)"],
    ["0 0 * * 1", "cron(0 0 ? * 2 *)"],
    ["*/30 * * * *", "cron(0/30 * * * ? *)"],
    // plain values, lists, ranges
    ["* * * * *", "cron(* * * * ? *)"],
    ["15 14 1 * *", "cron(15 14 1 * ? *)"],
    ["0 0,12 * * *", "cron(0 0,12 * * ? *)"],
    ["30 6 1,15 * *", "cron(30 6 1,15 * ? *)"],
    ["0 0 1-7 * *", "cron(0 0 1-7 * ? *)"],
    ["05 07 * * *", "cron(5 7 * * ? *)"],
    ["  0   2 * *  *  ", "cron(0 2 * * ? *)"],
    // steps: */n starts at the field's first value, a/n is kept, a-b/n only when it runs to the end
    ["0 0 */2 * *", "cron(0 0 1/2 * ? *)"],
    ["0 0 1 */3 *", "cron(0 0 1 1/3 ? *)"],
    ["5/15 * * * *", "cron(5/15 * * * ? *)"],
    ["0-59/10 * * * *", "cron(0/10 * * * ? *)"],
    ["10-40/10 * * * *", "cron(10,20,30,40 * * * ? *)"],
    ["0 8-18/2 * * *", "cron(0 8,10,12,14,16,18 * * ? *)"],
    ["*/1 * * * *", "cron(* * * * ? *)"],
    // month names
    ["0 0 1 JAN *", "cron(0 0 1 1 ? *)"],
    ["0 0 1 jan,Jul *", "cron(0 0 1 1,7 ? *)"],
    ["0 12 * NOV-DEC *", "cron(0 12 * 11-12 ? *)"],
    // day-of-week: shifted to 1-7, Sunday as 0 or 7, names, wrap after the shift, no steps
    ["0 9 * * MON-FRI", "cron(0 9 ? * 2-6 *)"],
    ["0 9 * * 1-5", "cron(0 9 ? * 2-6 *)"],
    ["0 0 * * MON,wed,FRI", "cron(0 0 ? * 2,4,6 *)"],
    ["0 0 * * 0", "cron(0 0 ? * 1 *)"],
    ["0 0 * * 7", "cron(0 0 ? * 1 *)"],
    ["0 0 * * sun", "cron(0 0 ? * 1 *)"],
    ["0 0 * * 0,7", "cron(0 0 ? * 1 *)"],
    ["0 0 * * 6,0", "cron(0 0 ? * 7,1 *)"],
    ["0 0 * * 0-3", "cron(0 0 ? * 1-4 *)"],
    ["0 0 * * 5-7", "cron(0 0 ? * 6-7,1 *)"],
    ["0 0 * * FRI-SUN", "cron(0 0 ? * 6-7,1 *)"],
    ["0 0 * * SAT-SUN", "cron(0 0 ? * 7,1 *)"],
    ["0 0 * * 3-7", "cron(0 0 ? * 4-7,1 *)"],
    ["0 0 * * */2", "cron(0 0 ? * 1,3,5,7 *)"],
    ["0 0 * * 1-5/2", "cron(0 0 ? * 2,4,6 *)"],
    ["0 0 * * 1/2", "cron(0 0 ? * 2,4,6 *)"],
    // a day field that covers every day is unrestricted, whatever its spelling
    ["0 0 * * 0-6", "cron(0 0 * * ? *)"],
    ["0 0 * * 0-7", "cron(0 0 * * ? *)"],
    ["0 0 1-31 * 1", "cron(0 0 ? * 2 *)"],
    // macros
    ["@hourly", "cron(0 * * * ? *)"],
    ["@daily", "cron(0 0 * * ? *)"],
    ["@weekly", "cron(0 0 ? * 1 *)"],
    ["@monthly", "cron(0 0 1 * ? *)"],
    ["@yearly", "cron(0 0 1 1 ? *)"],
  ])("%s → %s", (unix, eventBridge) => {
    expect(toEventBridgeCron(unix)).toBe(eventBridge);
  });
});

describe("invalid expressions", () => {
  it.each([
    ["", "expression is empty"],
    ["0 2 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"],
    ["0 0 2 * * *", "got 6 — seconds are not supported"],
    ["0 0 2 * * * 2024", "got 7 — seconds are not supported"],
    ["cron(0 2 * * ? *)", "this is an EventBridge expression"],
    ["61 * * * *", "minute field: 61 is out of range 0-59"],
    ["0 24 * * *", "hour field: 24 is out of range 0-23"],
    ["0 0 0 * *", "day-of-month field: 0 is out of range 1-31"],
    ["0 0 32 * *", "day-of-month field: 32 is out of range 1-31"],
    ["0 0 * 13 *", "month field: 13 is out of range 1-12"],
    ["0 0 * * 8", "day-of-week field: 8 is out of range 0-7"],
    ["*/0 * * * *", "minute field: step 0 is out of range 1-59"],
    ["*/60 * * * *", "minute field: step 60 is out of range 1-59"],
    ["*/x * * * *", "minute field: step in \"*/x\" must be a number"],
    ["*/5/2 * * * *", "minute field: \"*/5/2\" has more than one /"],
    ["5-1 * * * *", "minute field: range 5-1 is reversed"],
    ["0 0 * * SAT-MON", "day-of-week field: range SAT-MON is reversed"],
    ["1,,2 * * * *", "minute field: empty item in list"],
    ["1, * * * *", "minute field: empty item in list"],
    ["1-2-3 * * * *", "minute field: malformed range \"1-2-3\""],
    ["0 0 * * -1", "day-of-week field: malformed range \"-1\""],
    ["0 0 1- * *", "day-of-month field: malformed range \"1-\""],
    ["0 0 * * 1.5", "day-of-week field: unexpected character \".\""],
    ["0 0 * * $", "day-of-week field: unexpected character \"$\""],
    ["a * * * *", "minute field: \"a\" is not a value; expected 0-59"],
    ["0 0 * FOO *", "month field: \"FOO\" is not a value; expected JAN-DEC or 1-12"],
    ["0 0 * MON *", "month field: \"MON\" is not a value"],
    ["0 0 * * JAN", "day-of-week field: \"JAN\" is not a value; expected SUN-SAT or 0-7"],
    ["0 0 ? * MON", "day-of-month field: \"?\" uses Quartz syntax"],
    ["0 0 L * *", "day-of-month field: \"L\" uses Quartz syntax"],
    ["0 0 15W * *", "day-of-month field: \"15W\" uses Quartz syntax"],
    ["0 0 * * 5L", "day-of-week field: \"5L\" uses Quartz syntax"],
    ["0 0 * * 5#3", "day-of-week field: \"5#3\" uses Quartz syntax"],
    ["0 0 1 * 1", "day-of-month and day-of-week are both restricted; EventBridge cannot express that: use * in one of them"],
    ["0 0 */2 * MON", "both restricted"],
    ["0 0 31 2 *", "never fires: day-of-month 31 does not occur in month 2"],
    ["0 0 30 FEB *", "never fires: day-of-month 30 does not occur in month FEB"],
    ["0 0 31 4,6,9,11 *", "never fires"],
    ["@reboot", "unknown macro @reboot"],
    ["@every 5m", "unknown macro @every 5m"],
  ])("%j is refused: %s", (expression, reason) => {
    const refusal = validateCron(expression);
    expect(refusal).toContain(reason);
    expect(() => parseCron(expression)).toThrow(CronError);
    expect(() => toEventBridgeCron(expression)).toThrow(reason);
  });

  it("throws a CronError that carries its reason and the expression", () => {
    const error = (() => {
      try {
        parseCron("61 * * * *");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CronError);
    expect(error).toMatchObject({
      name: "CronError",
      reason: "minute field: 61 is out of range 0-59",
      message: "minute field: 61 is out of range 0-59",
      expression: "61 * * * *",
    });
  });
});

describe("parseCron", () => {
  it("expands fields into sorted values and notes which day field is restricted", () => {
    expect(parseCron(" */15  9-17 * * MON-FRI ")).toEqual({
      expression: "*/15 9-17 * * MON-FRI",
      minutes: [0, 15, 30, 45],
      hours: [9, 10, 11, 12, 13, 14, 15, 16, 17],
      daysOfMonth: Array.from({ length: 31 }, (_, i) => i + 1),
      months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      daysOfWeek: [1, 2, 3, 4, 5],
      domRestricted: false,
      dowRestricted: true,
    });
  });

  it.each([
    ["0 0 * * 7", [0]],
    ["0 0 * * 5-7", [0, 5, 6]],
    ["0 0 * * FRI-SUN", [0, 5, 6]],
    ["0 0 * * */3", [0, 3, 6]],
  ])("folds Sunday-as-7 into 0: %s", (expression, days) => {
    expect(parseCron(expression).daysOfWeek).toEqual(days);
  });

  it("accepts 29 February, which fires in leap years", () => {
    expect(validateCron("0 0 29 2 *")).toBeNull();
    expect(parseCron("0 0 29 2 *")).toMatchObject({ daysOfMonth: [29], months: [2], domRestricted: true });
  });

  it("keeps the macro as written and expands it", () => {
    expect(parseCron("@Daily")).toMatchObject({ expression: "@Daily", minutes: [0], hours: [0] });
  });
});

const at = (iso: string): Date => new Date(iso);

describe("nextFireTime", () => {
  it.each([
    // UTC
    ["0 2 * * *", "UTC", "2024-01-15T01:00:00Z", "2024-01-15T02:00:00Z"],
    ["0 2 * * *", "UTC", "2024-01-15T02:00:00Z", "2024-01-16T02:00:00Z"],
    ["0 2 * * *", "UTC", "2024-01-15T02:00:30Z", "2024-01-16T02:00:00Z"],
    ["0 0 * * 1", "UTC", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"],
    ["0 0 * * 7", "UTC", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z"],
    ["0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"],
    ["@hourly", "UTC", "2024-06-01T10:59:59.999Z", "2024-06-01T11:00:00Z"],
    // every 30 minutes
    ["*/30 * * * *", "UTC", "2024-01-15T10:00:00Z", "2024-01-15T10:30:00Z"],
    ["*/30 * * * *", "UTC", "2024-01-15T10:29:59.999Z", "2024-01-15T10:30:00Z"],
    ["*/30 * * * *", "UTC", "2024-12-31T23:45:00Z", "2025-01-01T00:00:00Z"],
    // month end
    ["0 0 31 * *", "UTC", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"],
    ["0 0 1 * *", "UTC", "2024-01-31T12:00:00Z", "2024-02-01T00:00:00Z"],
    ["0 12 29 2 *", "UTC", "2024-03-01T00:00:00Z", "2028-02-29T12:00:00Z"],
    ["0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"],
    // Europe/Berlin: 2024-03-31 02:00 CET jumps to 03:00 CEST; 2024-10-27 03:00 CEST falls to 02:00 CET
    ["30 2 * * *", "Europe/Berlin", "2024-03-29T12:00:00Z", "2024-03-30T01:30:00Z"],
    ["30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", "2024-04-01T00:30:00Z"],
    ["0 9 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", "2024-03-31T07:00:00Z"],
    ["*/30 * * * *", "Europe/Berlin", "2024-03-31T00:45:00Z", "2024-03-31T01:00:00Z"],
    ["30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00Z", "2024-10-27T00:30:00Z"],
    ["30 2 * * *", "Europe/Berlin", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"],
    // America/New_York: 2024-03-10 02:00 EST jumps to 03:00 EDT; 2024-11-03 02:00 EDT falls to 01:00 EST
    ["0 9 * * 1-5", "America/New_York", "2024-03-08T15:00:00Z", "2024-03-11T13:00:00Z"],
    ["30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", "2024-03-11T06:30:00Z"],
    ["30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", "2024-11-03T05:30:00Z"],
    ["30 1 * * *", "America/New_York", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"],
    ["0 0 * * *", "America/New_York", "2024-12-31T12:00:00Z", "2025-01-01T05:00:00Z"],
    // 22:00 on 1 January in New York is already 2 January in UTC
    ["0 23 * * *", "America/New_York", "2024-01-02T03:00:00Z", "2024-01-02T04:00:00Z"],
    // zones ahead of UTC, where the local date is already tomorrow
    ["0 8 * * *", "Asia/Tokyo", "2024-01-01T00:00:00Z", "2024-01-01T23:00:00Z"],
    ["0 0 * * *", "Asia/Kolkata", "2024-01-01T00:00:00Z", "2024-01-01T18:30:00Z"],
  ])("%s in %s after %s → %s", (expression, zone, after, expected) => {
    expect(nextFireTime(expression, zone, at(after)).toISOString()).toBe(at(expected).toISOString());
  });

  it("throws CronError when nothing matches within the search bound", () => {
    // The last representable Date is 275760-09-13, so the next 1 January is out of reach.
    expect(() => nextFireTime("0 0 1 1 *", "UTC", new Date(8.64e15 - 5 * 86_400_000))).toThrow(
      /does not fire within 9 years/,
    );
  });

  it("refuses a bad expression, time zone or date", () => {
    expect(() => nextFireTime("0 0 31 2 *", "UTC", new Date())).toThrow(CronError);
    expect(() => nextFireTime("0 2 * * *", "Mars/Olympus", new Date())).toThrow(
      new CronError('unknown time zone "Mars/Olympus"'),
    );
    expect(() => previousFireTime("0 2 * * *", "Mars/Olympus", new Date())).toThrow(CronError);
    expect(() => nextFireTime("0 2 * * *", "UTC", new Date(NaN))).toThrow(TypeError);
  });
});

describe("previousFireTime", () => {
  it.each([
    ["0 2 * * *", "UTC", "2024-01-15T03:00:00Z", "2024-01-15T02:00:00Z"],
    ["0 2 * * *", "UTC", "2024-01-15T02:00:00Z", "2024-01-15T02:00:00Z"],
    ["0 2 * * *", "UTC", "2024-01-15T01:59:59.999Z", "2024-01-14T02:00:00Z"],
    ["*/30 * * * *", "UTC", "2024-01-15T10:45:00Z", "2024-01-15T10:30:00Z"],
    ["*/30 * * * *", "UTC", "2024-01-01T00:10:00Z", "2024-01-01T00:00:00Z"],
    ["0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z", "2024-01-01T00:00:00Z"],
    ["0 0 29 2 *", "UTC", "2024-03-01T00:00:00Z", "2024-02-29T00:00:00Z"],
    // 2023-03-01 is exactly 366 days (a leap February) before 2024-03-01, the edge of the lookback
    ["0 0 1 3 *", "UTC", "2024-02-29T23:59:59.999Z", "2023-03-01T00:00:00Z"],
    ["0 0 1 3 *", "UTC", "2024-03-01T00:00:00.001Z", "2024-03-01T00:00:00Z"],
    ["0 0 29 2 *", "UTC", "2025-03-01T00:00:00Z", "2024-02-29T00:00:00Z"],
    ["0 9 * * 1", "UTC", "2024-01-10T00:00:00Z", "2024-01-08T09:00:00Z"],
    // skipped on 2024-03-31 in Berlin, so the slot before is the 30th
    ["30 2 * * *", "Europe/Berlin", "2024-04-01T00:00:00Z", "2024-03-30T01:30:00Z"],
    // the repeated 01:30 in New York counts once, at its first occurrence
    ["30 1 * * *", "America/New_York", "2024-11-03T07:00:00Z", "2024-11-03T05:30:00Z"],
    ["0 8 * * *", "Asia/Tokyo", "2024-01-01T22:59:00Z", "2023-12-31T23:00:00Z"],
    // Goose Bay fell back from 00:01 on 7 November 2010 to 23:01 on the 6th: at 23:30 (second
    // time round) midnight of the 7th has already passed once
    ["0 0 * * *", "America/Goose_Bay", "2010-11-07T03:30:00Z", "2010-11-07T03:00:00Z"],
  ])("%s in %s at or before %s → %s", (expression, zone, before, expected) => {
    expect(previousFireTime(expression, zone, at(before))?.toISOString()).toBe(at(expected).toISOString());
  });

  it.each([
    ["0 0 29 2 *", "2024-01-01T00:00:00Z"],
    // 2024-02-29 is 366 days and 1 ms before this
    ["0 0 29 2 *", "2025-03-01T00:00:00.001Z"],
  ])("returns null when %s last fired more than 366 days before %s", (expression, before) => {
    expect(previousFireTime(expression, "UTC", at(before))).toBeNull();
  });
});
