// Turns what the database drivers hand back into JSON-safe values for records (DESIGN.md, "Records").
// It runs on every value of every pulled row, so primitives take the first branch and allocate
// nothing; driver types are recognised by their own markers (BSON `_bsontype`, Neo4j `__isX__`)
// so this module imports no driver.
//
// Shapes chosen, by input:
// - string, boolean, finite number: unchanged. NaN, ±Infinity → null (as JSON.stringify does).
// - undefined, functions, symbols → null (a key with an undefined value is kept, as null).
// - bigint, BSON Long, Neo4j Integer → number within ±(2^53-1), otherwise the decimal string.
//   BSON Int32/Double → their number (a NaN/Infinity Double → null).
// - Strings are never reparsed (only the driver knows a column's type): a decimal (pg `numeric`,
//   MySQL DECIMAL) stays a string. pg `int8` text is made a number when safe by the postgres
//   source's type parser; mysql2 and the mongodb driver apply the same rule themselves.
// - JS Date → ISO 8601 in UTC (`toISOString()`); an invalid Date → null.
// - Bytes (Buffer, Uint8Array, DataView, ArrayBuffer, BSON Binary of any subtype) → base64.
//   Other typed arrays (Float32Array, Int32Array, BigInt64Array…) → arrays of numbers.
// - BSON ObjectId → 24-char lowercase hex; Decimal128 → its string; Timestamp → `{ t, i }`
//   (seconds and ordinal: not a wall-clock date); BSONRegExp → "/pattern/options";
//   BSONSymbol → its string; Code → `{ code, scope? }`; DBRef → `{ $ref, $id, $db?, ...fields }`;
//   MinKey/MaxKey → "MinKey"/"MaxKey".
// - Neo4j Node → `{ ...properties }`; Relationship (and UnboundRelationship) →
//   `{ type, ...properties }` (a property named `type` shadows the relationship type);
//   Path → `[node, relationship, node, …]` alternating from the start node (a zero-length path is
//   `[node]`); PathSegment → `[start, relationship, end]`.
// - Neo4j Date, DateTime, LocalDateTime, Time, LocalTime, Duration → the driver's ISO `toString()`:
//   "2024-01-02", "2024-01-02T03:04:05.006000000+01:00", "01:02:03", "P1M2DT3.000000004S", except
//   that a Duration without a time part loses the driver's dangling "T" ("P1D", not "P1DT"). A
//   DateTime carrying a zone id keeps it in brackets: "…+01:00[Europe/Berlin]" (RFC 9557).
// - Neo4j Point → `{ srid, x, y }`, plus `z` for 3-D points; UUID → its dashed hex string;
//   Vector → array of numbers.
// - Arrays and Sets → arrays; plain objects and Maps → objects (Map keys through `String()`);
//   RegExp → "/source/flags"; any other object → its `toJSON()` if it has one, else its own
//   enumerable properties. Values nest to any depth; cyclic input is not supported.

import { Buffer } from "node:buffer";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

export function normalizeValue(value: unknown): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "object":
      return value === null ? null : normalizeObject(value);
    case "bigint":
      return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
    default:
      return null;
  }
}

export function normalizeRow(row: Record<string, unknown>): Record<string, JsonValue> {
  return normalizeRecord(row);
}

type Tagged = Record<string, unknown>;

function normalizeObject(value: object): JsonValue {
  if (Array.isArray(value)) return normalizeArray(value);
  const proto: unknown = Object.getPrototypeOf(value);
  // Plain objects (JSON columns, documents, properties) skip every driver-type check, so a
  // user field called `_bsontype` or `__isNode__` is never taken for a marker.
  if (proto === Object.prototype || proto === null) return normalizeRecord(value as Tagged);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value)) return normalizeView(value);

  const tagged = value as Tagged;
  const bsonType = tagged._bsontype;
  if (typeof bsonType === "string") return normalizeBson(tagged, bsonType);
  const neo4j = normalizeNeo4j(tagged);
  if (neo4j !== undefined) return neo4j;

  if (value instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of value) put(out, String(key), normalizeValue(item));
    return out;
  }
  if (value instanceof Set) return normalizeArray([...value]);
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
  if (value instanceof RegExp) return value.toString();
  if (typeof tagged.toJSON === "function") {
    const json: unknown = (tagged.toJSON as () => unknown).call(value);
    if (json !== value) return normalizeValue(json);
  }
  return normalizeRecord(tagged);
}

function normalizeArray(items: ArrayLike<unknown>): JsonValue[] {
  const out = new Array<JsonValue>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = normalizeValue(items[i]);
  return out;
}

function normalizeRecord(record: Tagged): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(record)) put(out, key, normalizeValue(record[key]));
  return out;
}

/** Assigns without letting a `__proto__` key (legal in JSON data) reach the prototype setter. */
function put(out: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

function normalizeView(view: ArrayBufferView): JsonValue {
  if (Buffer.isBuffer(view)) return view.toString("base64");
  if (view instanceof Uint8Array || view instanceof DataView) {
    return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("base64");
  }
  return normalizeArray(view as unknown as ArrayLike<number | bigint>);
}

/** A 64-bit integer type with an exact `toString()` and a possibly rounded `toNumber()`. */
function normalizeLong(long: Tagged): number | string {
  const n = (long.toNumber as () => number).call(long);
  return Number.isSafeInteger(n) ? n : String(long);
}

function normalizeBson(value: Tagged, type: string): JsonValue {
  switch (type) {
    case "ObjectId":
      return (value.toHexString as () => string).call(value);
    case "Decimal128":
      return String(value);
    case "Long":
      return normalizeLong(value);
    case "Int32":
    case "Double":
      return normalizeValue(value.value);
    case "Binary":
      return (value.toString as (encoding: string) => string).call(value, "base64");
    case "Timestamp":
      return { t: value.t as number, i: value.i as number };
    case "BSONRegExp":
      return `/${String(value.pattern)}/${String(value.options)}`;
    case "MinKey":
    case "MaxKey":
      return type;
    default: // BSONSymbol, Code, DBRef and any later type: their JSON form
      return typeof value.toJSON === "function"
        ? normalizeValue((value.toJSON as () => unknown).call(value))
        : normalizeRecord(value);
  }
}

/** The JSON form of a Neo4j value, or undefined when `value` is not one. */
function normalizeNeo4j(value: Tagged): JsonValue | undefined {
  if (value.__isInteger__ === true) {
    return (value.inSafeRange as () => boolean).call(value)
      ? (value.toNumber as () => number).call(value)
      : String(value);
  }
  if (value.__isNode__ === true) return normalizeNode(value);
  if (value.__isRelationship__ === true || value.__isUnboundRelationship__ === true) {
    return normalizeRelationship(value);
  }
  if (value.__isPath__ === true) {
    const segments = value.segments as Tagged[];
    const out: JsonValue[] = [normalizeNode(value.start as Tagged)];
    for (const segment of segments) {
      out.push(normalizeRelationship(segment.relationship as Tagged), normalizeNode(segment.end as Tagged));
    }
    return out;
  }
  if (value.__isPathSegment__ === true) {
    return [
      normalizeNode(value.start as Tagged),
      normalizeRelationship(value.relationship as Tagged),
      normalizeNode(value.end as Tagged),
    ];
  }
  if (
    value.__isDateTime__ === true ||
    value.__isDate__ === true ||
    value.__isLocalDateTime__ === true ||
    value.__isTime__ === true ||
    value.__isLocalTime__ === true ||
    value.__isUUID__ === true
  ) {
    return String(value);
  }
  if (value.__isDuration__ === true) {
    // The driver leaves a bare "T" when there is no time part ("P1DT"), which ISO 8601 forbids.
    const text = String(value);
    return text.endsWith("T") ? text.slice(0, -1) : text;
  }
  if (value.__isPoint__ === true) {
    const point: Record<string, JsonValue> = {
      srid: normalizeValue(value.srid),
      x: normalizeValue(value.x),
      y: normalizeValue(value.y),
    };
    if (value.z != null) point.z = normalizeValue(value.z);
    return point;
  }
  if (value.__isVector__ === true) {
    return normalizeView((value.asTypedArray as () => ArrayBufferView).call(value));
  }
  return undefined;
}

function normalizeNode(node: Tagged): Record<string, JsonValue> {
  return normalizeRecord(node.properties as Tagged);
}

function normalizeRelationship(relationship: Tagged): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { type: String(relationship.type) };
  const properties = relationship.properties as Tagged;
  for (const key of Object.keys(properties)) put(out, key, normalizeValue(properties[key]));
  return out;
}
