// What the key-ordered reads of every source share: evenly spaced split boundaries (BigInt, so
// int8 and 96-bit ObjectIds split exactly), ranges built from them, and the SQL that wraps a
// user's query to read one range in key order.
import type { KeyPosition, KeyRange } from "./contract.js";
import { SourceError } from "./errors.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The key as an exact integer: a safe integer number, a bigint or decimal integer text. */
export function integerOf(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** KeyPosition keeps integers past 2^53 as decimal text, which JSON holds without rounding. */
export function integerPosition(value: bigint): number | string {
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

/**
 * At most `parts - 1` strictly increasing boundaries in [min, max), evenly spaced: each range
 * (previous, boundary] then holds about the same span of keys. A boundary equal to `max` would
 * leave the last range nothing but NULL keys, so there is none.
 */
export function evenBoundaries(min: bigint, max: bigint, parts: number): bigint[] {
  const whole = Math.floor(parts);
  const count = BigInt(Number.isSafeInteger(whole) && whole > 1 ? whole : 1);
  const span = max - min;
  const boundaries: bigint[] = [];
  for (let i = 1n; i < count; i++) {
    const boundary = min + (span * i) / count;
    if (boundary < max && (boundaries.length === 0 || boundary > boundaries.at(-1)!)) boundaries.push(boundary);
  }
  return boundaries;
}

/** Consecutive ranges between boundaries: the first without `after`, the last without `upTo`. */
export function rangesBetween(boundaries: KeyPosition[]): KeyRange[] {
  if (boundaries.length === 0) return [{}];
  const ranges: KeyRange[] = [{ upTo: boundaries[0] }];
  for (let i = 1; i < boundaries.length; i++) ranges.push({ after: boundaries[i - 1], upTo: boundaries[i] });
  ranges.push({ after: boundaries.at(-1) });
  return ranges;
}

/** Ranges of integer keys between `min` and `max`; `[{}]` when either is not an integer (or absent). */
export function splitIntegers(min: unknown, max: unknown, parts: number): KeyRange[] {
  const low = integerOf(min);
  const high = integerOf(max);
  if (low === undefined || high === undefined) return [{}];
  return rangesBetween(evenBoundaries(low, high, parts).map(integerPosition));
}

/** SQL positions are plain values; an ObjectId position belongs to another source's checkpoint. */
export function sqlPosition(position: KeyPosition): string | number {
  if (typeof position === "string" || typeof position === "number") return position;
  throw new SourceError("query_error", `key position ${JSON.stringify(position)} is not a value of a SQL column`);
}

/** The alias the user's query runs under, so its columns can be named whatever it selects. */
export const WRAPPED = "sluice_q";

/** The query as a subquery; the newline ends a trailing `--` comment before the parenthesis. */
export function wrapQuery(text: string): string {
  return `(${text.replace(/[\s;]+$/, "")}\n) AS ${WRAPPED}`;
}

export interface OrderedSelect {
  /** The query with its `:last_pull` placeholders already bound. */
  text: string;
  /** The key, quoted and qualified (`sluice_q."id"`). */
  key: string;
  range: KeyRange;
  /** Adds a position to the query's values and returns its placeholder. */
  bind: (position: KeyPosition) => string;
  /** The dialect's ORDER BY list for the key that puts NULL keys last. */
  orderBy: (key: string) => string;
}

/** The user's query limited to one range and sorted by the key; positions are always bound. */
export function orderedSelect({ text, key, range, bind, orderBy }: OrderedSelect): string {
  const conditions: string[] = [];
  const { after, upTo } = range;
  if (after === null) conditions.push(`${key} IS NULL`);
  // NULL keys sort after every value, so they belong to the range that is open at the top.
  else if (after !== undefined) conditions.push(upTo == null ? `(${key} > ${bind(after)} OR ${key} IS NULL)` : `${key} > ${bind(after)}`);
  if (upTo != null) conditions.push(`${key} <= ${bind(upTo)}`);
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
  return `SELECT * FROM ${wrapQuery(text)}${where} ORDER BY ${orderBy(key)}`;
}
