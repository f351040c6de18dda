// A record's content hash: SHA-256 (hex) of the canonical JSON of `{ name, vertical_data }`:
// object keys sorted (by UTF-16 code units, as Array#sort) at every depth, arrays in order,
// no whitespace, values otherwise as JSON.stringify writes them. Runs per row of a pull, so
// the canonical text is written in one pass, without sorted copies of the objects.
import crypto from "node:crypto";

/**
 * The canonical JSON of a value; undefined where JSON.stringify gives undefined (a bare
 * undefined, function or symbol). Throws TypeError on a BigInt, RangeError on a cycle.
 */
export function canonicalJson(value: unknown): string | undefined {
  return write(value, 0);
}

// Deeper than any JSON a client sends; reached only by a cyclic structure.
const MAX_DEPTH = 1_000;

function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("a BigInt is not JSON; send it as a string");
    case "object":
      break;
    default:
      return undefined; // undefined, function, symbol
  }
  if (value === null) return "null";
  if (depth > MAX_DEPTH) throw new RangeError("value is nested too deeply (a cycle?)");
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(toJSON.call(value), depth + 1);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += write(value[i], depth + 1) ?? "null";
    }
    return out + "]";
  }
  const object = value as Record<string, unknown>;
  const { sorted, quoted, inOrder } = keyOrder(Object.keys(object));
  // Keys already in canonical order and only primitive values (a pulled row's vertical_data):
  // V8's native serialiser writes the same text, in one allocation instead of one per value.
  if (inOrder && primitiveValues(object, sorted)) return JSON.stringify(object);
  let out = "{";
  let first = true;
  for (let i = 0; i < sorted.length; i++) {
    const item = object[sorted[i]!];
    // Strings and finite numbers inline: nearly every value of a pulled row is one of them.
    const member =
      typeof item === "string" ? JSON.stringify(item) : typeof item === "number" && Number.isFinite(item) ? String(item) : write(item, depth + 1);
    if (member === undefined) continue;
    out += first ? quoted[i] : "," + quoted[i];
    out += ":" + member;
    first = false;
  }
  return out + "}";
}

// Rows of one query share their keys: the last key list seen, sorted and quoted, is reused
// while the next object's keys are the same (compared in place, no signature string built).
let lastKeys: string[] = [];
let lastOrder: KeyOrder = { sorted: [], quoted: [], inOrder: true };

interface KeyOrder {
  sorted: string[];
  quoted: string[];
  /** The object's own key order is already the sorted one. */
  inOrder: boolean;
}

function primitiveValues(object: Record<string, unknown>, keys: string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const item = object[keys[i]!];
    const type = typeof item;
    if (type !== "string" && type !== "number" && type !== "boolean" && item !== null) return false;
  }
  return true;
}

function keyOrder(keys: string[]): KeyOrder {
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastOrder;
  }
  const sorted = [...keys].sort();
  lastKeys = keys;
  lastOrder = { sorted, quoted: sorted.map((key) => JSON.stringify(key)), inOrder: sorted.every((key, i) => key === keys[i]) };
  return lastOrder;
}

/**
 * The canonical JSON of `{ name, vertical_data }` (what is hashed), from the canonical JSON of
 * vertical_data, which the store keeps as is: `"name"` sorts before `"vertical_data"`.
 */
export function canonicalRecord(name: string, verticalDataJson: string): string {
  return `{"name":${JSON.stringify(name)},"vertical_data":${verticalDataJson}}`;
}

// One-shot crypto.hash (Node ≥ 20.12) skips the Hash object: about a microsecond less per row.
const oneShot = typeof crypto.hash === "function";

export function sha256Hex(text: string): string {
  return oneShot ? crypto.hash("sha256", text, "hex") : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

export function contentHash(name: string, vertical_data: Record<string, unknown>): string {
  return sha256Hex(canonicalRecord(name, canonicalJson(vertical_data) ?? "null"));
}
