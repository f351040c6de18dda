// IANA time zones for schedules: validation, and translation between instants and the local
// wall-clock minutes cron is written in, on the runtime's Intl data alone.

const DAY_MS = 86_400_000;

// Intl accepts some shapes EventBridge Scheduler does not (offsets such as "+02:00" on newer
// runtimes), so a name must look like an IANA identifier before Intl is asked about it.
const IANA_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

// Building a DateTimeFormat costs far more than using one, and every fire-time search needs
// hundreds of conversions. Only accepted zones are kept, and the cap stops names sent by
// clients (Intl ignores case, so variants are endless) from growing the map without bound.
const MAX_CACHED_ZONES = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  if (!IANA_SHAPE.test(timeZone)) return null;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return null;
  }
  if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
}

/** True for an IANA zone name this runtime knows, "UTC" included. */
export function isValidTimeZone(tz: string): boolean {
  return typeof tz === "string" && formatterFor(tz) !== null;
}

function requireFormatter(timeZone: string): Intl.DateTimeFormat {
  const formatter = formatterFor(timeZone);
  if (!formatter) throw new RangeError(`unknown time zone "${timeZone}"`);
  return formatter;
}

/**
 * The wall-clock reading in `timeZone` at `instant` (ms), encoded as if that reading were UTC,
 * to whole seconds. Encoding wall time as a UTC number lets calendar arithmetic use Date.UTC.
 */
export function wallClockAt(timeZone: string, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of requireFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const { year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN } = fields;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** How far `timeZone` is ahead of UTC at `instant`, in ms. */
export function utcOffsetAt(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClockAt(timeZone, whole) - whole;
}

/**
 * The zone's offset throughout the local day starting at `dayStart` (a wall-clock midnight in
 * the UTC encoding), or null when it changes that day. That local day lies within 14 h of the
 * encoded span, so equal offsets a day before and two days after mean no change within it
 * (zones do not change twice in three days).
 */
export function steadyOffsetOn(timeZone: string, dayStart: number): number | null {
  const before = utcOffsetAt(timeZone, dayStart - DAY_MS);
  return before === utcOffsetAt(timeZone, dayStart + 2 * DAY_MS) ? before : null;
}

/**
 * The instant at which the clocks in `timeZone` read `wallClock` (UTC-encoded), or null when
 * that reading is skipped by a forward change. A reading repeated by a backward change maps to
 * its first occurrence, so a schedule fires once in the repeated hour.
 */
export function instantOfWallClock(timeZone: string, wallClock: number): number | null {
  // The true offset applies within 14 h of the reading, so it is the offset on one side or the
  // other of any change near it; try both and keep the candidates that read back correctly.
  const offsets = new Set([
    utcOffsetAt(timeZone, wallClock - DAY_MS),
    utcOffsetAt(timeZone, wallClock + DAY_MS),
  ]);
  let first: number | null = null;
  for (const offset of offsets) {
    const instant = wallClock - offset;
    if (wallClockAt(timeZone, instant) === wallClock && (first === null || instant < first)) {
      first = instant;
    }
  }
  return first;
}
