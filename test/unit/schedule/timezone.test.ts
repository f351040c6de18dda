import { afterEach, describe, expect, it, vi } from "vitest";
import { instantOfWallClock, isValidTimeZone, wallClockAt } from "../../../lib/schedule/timezone.js";

describe("isValidTimeZone", () => {
  it.each([
    "UTC",
    "Etc/UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Argentina/Buenos_Aires",
    "America/Port-au-Prince",
    "Asia/Kolkata",
    "Etc/GMT+2",
  ])("accepts %s", (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });

  it.each(["", " ", "Mars/Olympus", "+02:00", "-05:00", "UTC+2", "GMT+02:00", "Europe/", "/Europe/Berlin", "Europe Berlin", "Europe/Berlin "])(
    "rejects %j",
    (tz) => {
      expect(isValidTimeZone(tz)).toBe(false);
    },
  );

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("rejects offsets even where Intl would take them, as newer runtimes do", () => {
    const RealFormat = Intl.DateTimeFormat;
    vi.spyOn(Intl, "DateTimeFormat").mockImplementation(function () {
      return new RealFormat("en-US", { timeZone: "UTC" });
    } as unknown as typeof Intl.DateTimeFormat);
    expect(isValidTimeZone("+02:00")).toBe(false);
    expect(isValidTimeZone("-0500")).toBe(false);
  });

  it("asks Intl about a zone once", () => {
    const construct = vi.spyOn(Intl, "DateTimeFormat");
    expect(isValidTimeZone("Pacific/Chatham")).toBe(true);
    expect(isValidTimeZone("Pacific/Chatham")).toBe(true);
    expect(isValidTimeZone("Pacific/Chatham")).toBe(true);
    expect(construct).toHaveBeenCalledTimes(1);
  });
});

describe("wall clock conversions", () => {
  const wall = (iso: string): number => Date.parse(`${iso}Z`);

  it.each([
    ["Europe/Berlin", "2024-01-15T12:00:00", "2024-01-15T11:00:00Z"],
    ["Europe/Berlin", "2024-07-15T12:00:00", "2024-07-15T10:00:00Z"],
    ["Asia/Kolkata", "2024-01-01T00:00:00", "2023-12-31T18:30:00Z"],
    // repeated by the fall-back: the first occurrence
    ["Europe/Berlin", "2024-10-27T02:30:00", "2024-10-27T00:30:00Z"],
    ["America/New_York", "2024-11-03T01:30:00", "2024-11-03T05:30:00Z"],
  ])("%s %s is %s", (zone, local, instant) => {
    expect(instantOfWallClock(zone, wall(local))).toBe(Date.parse(instant));
    expect(wallClockAt(zone, Date.parse(instant))).toBe(wall(local));
  });

  it.each([
    ["Europe/Berlin", "2024-03-31T02:30:00"],
    ["America/New_York", "2024-03-10T02:00:00"],
  ])("%s %s is skipped by the spring-forward", (zone, local) => {
    expect(instantOfWallClock(zone, wall(local))).toBeNull();
  });
});
