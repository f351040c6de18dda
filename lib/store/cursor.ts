// Opaque pagination cursors: a DynamoDB LastEvaluatedKey as base64url JSON. A decoded cursor
// must belong to the partition being read, so it cannot move a reader into another tenant.
import { ValidationError } from "../errors.js";

export type StoreKey = Record<string, string>;

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

export function decodeCursor(cursor: string | undefined, expect: { attribute: string; value: string }): StoreKey | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new ValidationError("cursor is not one this API returned", "cursor");
  }
  const valid =
    key !== null &&
    typeof key === "object" &&
    Object.values(key).every((value) => typeof value === "string") &&
    (key as StoreKey)[expect.attribute] === expect.value;
  if (!valid) throw new ValidationError("cursor is not one this API returned", "cursor");
  return key as StoreKey;
}

/** A cursor within one partition of a pk/sk table: that pk and a string sk, nothing else. */
export function decodePartitionCursor(cursor: string | undefined, pk: string): StoreKey | undefined {
  const key = decodeCursor(cursor, { attribute: "pk", value: pk });
  // DynamoDB answers another key shape with an error of its own (a 500 here), so refuse it first.
  if (key && (Object.keys(key).length !== 2 || typeof key.sk !== "string")) {
    throw new ValidationError("cursor is not one this API returned", "cursor");
  }
  return key;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
