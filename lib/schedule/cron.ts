// Connector schedules: 5-field Unix cron, parsed strictly enough that every accepted expression
// can run on EventBridge Scheduler, and evaluated in an IANA zone for the local scheduler.

import { CronError } from "./errors.js";
import { instantOfWallClock, isValidTimeZone, steadyOffsetOn, wallClockAt } from "./timezone.js";

export interface CronSchedule {
  expression: string;
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  /** 0-6, Sunday = 0 (7 in the expression is folded into 0). */
  daysOfWeek: number[];
  domRestricted: boolean;
  dowRestricted: boolean;
}

interface Field {
  name: string;
  min: number;
  /** Highest value written; day-of-week allows 7 as a second Sunday. */
  max: number;
  /** Where `*` and `a/n` stop: 6 for day-of-week, so Sunday is not counted twice. */
  top: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59, top: 59 },
  { name: "hour", min: 0, max: 23, top: 23 },
  { name: "day-of-month", min: 1, max: 31, top: 31 },
  { name: "month", min: 1, max: 12, top: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day-of-week", min: 0, max: 7, top: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];
const [MINUTE, HOUR, DOM, MONTH, DOW] = FIELDS as [Field, Field, Field, Field, Field];

// Macros are shorthand for plain expressions, so they convert and evaluate like them. @reboot
// has no time of day and is refused with the unknown ones.
const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

// Longest month lengths; February counts 29 because leap years do come round.
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** One comma-separated item: `*`, `a`, `a-b`, each optionally `/step`; `a/n` runs to the top. */
interface Item {
  lo: number;
  hi: number;
  step: number;
  star: boolean;
  open: boolean;
}

interface Parsed {
  schedule: CronSchedule;
  items: Item[][];
}

export function parseCron(expression: string): CronSchedule {
  return parse(expression).schedule;
}

export function validateCron(expression: string): string | null {
  try {
    parse(expression);
    return null;
  } catch (error) {
    if (error instanceof CronError) return error.reason;
    throw error;
  }
}

function parse(expression: string): Parsed {
  if (typeof expression !== "string") throw new CronError("expression must be a string");
  const text = expression.trim().replace(/\s+/g, " ");
  const fail = (reason: string): never => {
    throw new CronError(reason, expression);
  };
  if (text === "") fail("expression is empty");
  if (/^(cron|rate|at)\(/i.test(text)) {
    fail("this is an EventBridge expression; write the 5-field Unix form, e.g. 0 2 * * *");
  }
  let body = text;
  if (text.startsWith("@")) {
    const expanded = MACROS[text.toLowerCase()];
    if (!expanded) fail(`unknown macro ${text}; supported: ${Object.keys(MACROS).join(", ")}`);
    body = expanded as string;
  }
  const parts = body.split(" ");
  if (parts.length !== 5) {
    const extra = parts.length > 5 ? " — seconds are not supported" : "";
    fail(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}${extra}`);
  }
  const items = parts.map((part, i) => parseField(part, FIELDS[i] as Field, fail));
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = items.map((field, i) => valuesOf(field, FIELDS[i] as Field));
  const schedule: CronSchedule = {
    expression: text,
    minutes: minutes as number[],
    hours: hours as number[],
    daysOfMonth: daysOfMonth as number[],
    months: months as number[],
    daysOfWeek: daysOfWeek as number[],
    domRestricted: (daysOfMonth as number[]).length < 31,
    dowRestricted: (daysOfWeek as number[]).length < 7,
  };
  if (schedule.domRestricted && schedule.dowRestricted) {
    fail("day-of-month and day-of-week are both restricted; EventBridge cannot express that: use * in one of them");
  }
  // Refused here rather than found by searching: "0 0 30 2 *" is a mistake the writer should hear about.
  const firstDay = schedule.daysOfMonth[0] as number;
  if (!schedule.months.some((month) => firstDay <= (MONTH_DAYS[month - 1] as number))) {
    fail(`never fires: day-of-month ${parts[2]} does not occur in month ${parts[3]}`);
  }
  return { schedule, items };
}

function parseField(text: string, field: Field, fail: (reason: string) => never): Item[] {
  const refuse = (reason: string): never => fail(`${field.name} field: ${reason}`);
  if (/[?#]/.test(text) || text.split(/[,/-]/).some((token) => /^(\d*L|\d*W|LW)$/i.test(token))) {
    refuse(`"${text}" uses Quartz syntax (? L W #), which Unix cron does not have`);
  }
  const bad = /[^0-9A-Za-z*,/-]/.exec(text);
  if (bad) refuse(`unexpected character "${bad[0]}"`);
  return text.split(",").map((item) => parseItem(item, field, refuse));
}

function parseItem(text: string, field: Field, refuse: (reason: string) => never): Item {
  if (text === "") refuse("empty item in list");
  const [base = "", stepText, extra] = text.split("/");
  if (extra !== undefined) refuse(`"${text}" has more than one /`);
  let step = 1;
  if (stepText !== undefined) {
    step = parseNumber(stepText, `step in "${text}"`, refuse);
    if (step < 1 || step > field.max) refuse(`step ${step} is out of range 1-${field.max}`);
  }
  if (base === "*") return { lo: field.min, hi: field.top, step, star: true, open: false };
  const [loText = "", hiText, more] = base.split("-");
  if (loText === "" || hiText === "" || more !== undefined) refuse(`malformed range "${base}"`);
  const lo = parseValue(loText, field, false, refuse);
  if (hiText === undefined) {
    const open = stepText !== undefined;
    return { lo, hi: open ? Math.max(lo, field.top) : lo, step, star: false, open };
  }
  const hi = parseValue(hiText, field, true, refuse);
  if (hi < lo) refuse(`range ${base} is reversed; ranges do not wrap, use a list`);
  return { lo, hi, step, star: false, open: false };
}

function parseValue(text: string, field: Field, rangeEnd: boolean, refuse: (reason: string) => never): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) refuse(`${value} is out of range ${field.min}-${field.max}`);
    return value;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) {
    const allowed = field.names ? `${field.names[0]}-${field.names.at(-1)} or ` : "";
    refuse(`"${text}" is not a value; expected ${allowed}${field.min}-${field.max}`);
  }
  // "FRI-SUN" means Friday to Sunday: as the end of a range, SUN is the 7 that follows SAT.
  return field === DOW && rangeEnd && index === 0 ? 7 : field.min + index;
}

function parseNumber(text: string, what: string, refuse: (reason: string) => never): number {
  if (!/^\d+$/.test(text)) refuse(`${what} must be a number`);
  return Number(text);
}

function itemValues(item: Item): number[] {
  const values: number[] = [];
  for (let v = item.lo; v <= item.hi; v += item.step) values.push(v);
  return values;
}

function valuesOf(items: Item[], field: Field): number[] {
  const values = items.flatMap(itemValues).map((v) => (field === DOW ? v % 7 : v));
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * EventBridge Scheduler's `cron(min hour dom month dow year)`. Lists, ranges and steps are kept
 * as written where EventBridge has the same form; EventBridge has no steps in day-of-week and no
 * documented `a-b/n`, so those become lists.
 */
export function toEventBridgeCron(expression: string): string {
  const { schedule, items } = parse(expression);
  const [minute, hour, dom, month, dow] = items as [Item[], Item[], Item[], Item[], Item[]];
  // EventBridge needs exactly one of the day fields to be "?"; the unrestricted one is it.
  const fields = [
    renderField(minute, MINUTE, schedule.minutes.length < 60),
    renderField(hour, HOUR, schedule.hours.length < 24),
    schedule.dowRestricted ? "?" : renderField(dom, DOM, schedule.domRestricted),
    renderField(month, MONTH, schedule.months.length < 12),
    schedule.dowRestricted ? renderDayOfWeek(dow) : "?",
    "*",
  ];
  return `cron(${fields.join(" ")})`;
}

function renderField(items: Item[], field: Field, restricted: boolean): string {
  if (!restricted) return "*";
  return items.map((item) => renderItem(item, field)).join(",");
}

function renderItem(item: Item, field: Field): string {
  if (item.step === 1) return item.lo === item.hi ? `${item.lo}` : `${item.lo}-${item.hi}`;
  if (item.star || item.open) return `${item.lo}/${item.step}`;
  // "a-b/n" is "a/n" when the run would stop at b anyway; otherwise spell the values out.
  const values = itemValues(item);
  if ((values.at(-1) as number) + item.step > field.top) return `${item.lo}/${item.step}`;
  return values.join(",");
}

// Unix counts Sunday as 0 (or 7), EventBridge as 1, so every value moves up one and a range
// that reaches Sunday-as-7 splits into its weekday part and a separate Sunday.
function renderDayOfWeek(items: Item[]): string {
  const shift = (v: number): string => `${(v % 7) + 1}`;
  const out = items.flatMap((item) => {
    if (item.step !== 1) return itemValues(item).map(shift);
    if (item.lo === item.hi) return [shift(item.lo)];
    if (item.hi < 7 || item.lo === 0) return [`${item.lo + 1}-${Math.min(item.hi + 1, 7)}`];
    return [item.lo + 1 === 7 ? "7" : `${item.lo + 1}-7`, "1"];
  });
  return [...new Set(out)].join(",");
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
// 29 February can be eight years away (2096 to 2104), and parse refuses dates that never come.
const SEARCH_DAYS = 9 * 366;
const LOOKBACK_MS = 366 * DAY_MS;

/** The first matching minute strictly after `after`, on the wall clock of `timeZone`. */
export function nextFireTime(expression: string, timeZone: string, after: Date): Date {
  const schedule = parseCron(expression);
  const from = instantOf(after, "after");
  const today = localDayStart(timeZone, from);
  for (let day = 0; day <= SEARCH_DAYS; day++) {
    for (const instant of firesOn(schedule, timeZone, today + day * DAY_MS, false)) {
      if (instant > from) return new Date(instant);
    }
  }
  throw new CronError(`"${schedule.expression}" does not fire within 9 years of ${after.toISOString()}`, expression);
}

/** The last matching minute at or before `before`, looking back at most 366 days. */
export function previousFireTime(expression: string, timeZone: string, before: Date): Date | null {
  const schedule = parseCron(expression);
  const until = instantOf(before, "before");
  // Start a day ahead: where clocks fall back across midnight (Goose Bay, 2010), tomorrow's
  // first minutes can come before `before` while the wall clock still shows today.
  const start = localDayStart(timeZone, until) + DAY_MS;
  for (let day = 0; day <= 368; day++) {
    for (const instant of firesOn(schedule, timeZone, start - day * DAY_MS, true)) {
      if (instant <= until) return instant >= until - LOOKBACK_MS ? new Date(instant) : null;
    }
  }
  return null;
}

function instantOf(date: Date, name: string): number {
  const instant = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(instant)) throw new TypeError(`${name} must be a valid Date`);
  return instant;
}

function localDayStart(timeZone: string, instant: number): number {
  if (!isValidTimeZone(timeZone)) throw new CronError(`unknown time zone "${timeZone}"`);
  const wall = wallClockAt(timeZone, instant);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

// Instants of the schedule's minutes on one local day, in order; wall minutes are tried in
// order and each maps to its first occurrence, so the instants come out monotonic too.
function* firesOn(schedule: CronSchedule, timeZone: string, dayStart: number, backwards: boolean): Generator<number> {
  const date = new Date(dayStart);
  // Both day fields restricted is refused, so the unrestricted one lists every day and AND
  // gives cron's "whichever is restricted" rule.
  if (!schedule.months.includes(date.getUTCMonth() + 1)) return;
  if (!schedule.daysOfMonth.includes(date.getUTCDate())) return;
  if (!schedule.daysOfWeek.includes(date.getUTCDay())) return;
  const offset = steadyOffsetOn(timeZone, dayStart);
  const hours = backwards ? [...schedule.hours].reverse() : schedule.hours;
  const minutes = backwards ? [...schedule.minutes].reverse() : schedule.minutes;
  for (const hour of hours) {
    for (const minute of minutes) {
      const wall = dayStart + hour * 60 * MINUTE_MS + minute * MINUTE_MS;
      const instant = offset === null ? instantOfWallClock(timeZone, wall) : wall - offset;
      if (instant !== null) yield instant;
    }
  }
}
