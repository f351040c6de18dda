// Opaque pagination cursors: a DynamoDB LastEvaluatedKey as base64url JSON. A decoded cursor
// must belong to the partition being read, so it cannot move a reader into another tenant.
import { ValidationError } from "../errors.js";

export type StoreKey = Record<string, string>;

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

function decodeCursor(cursor: string | undefined, expect: { attribute: string; value: string }): StoreKey | undefined {
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

/** What a page read: the table's partition, the sort-key prefix of the items listed, and GSI1's partition when the page reads that index. */
export interface PageRead {
  pk: string;
  prefix?: string;
  gsi1pk?: string;
}

/**
 * Where a page resumes: a cursor this API returned for the same read. Beyond its partition
 * (never another tenant's), the key must have exactly the shape of the table or index read and
 * sit inside the listed prefix: DynamoDB answers any other start key with an error of its own,
 * which would surface as a 500.
 */
export function decodePageCursor(cursor: string | undefined, read: PageRead): StoreKey | undefined {
  const key = decodeCursor(cursor, read.gsi1pk === undefined ? { attribute: "pk", value: read.pk } : { attribute: "gsi1pk", value: read.gsi1pk });
  if (!key) return undefined;
  const attributes = read.gsi1pk === undefined ? ["pk", "sk"] : ["pk", "sk", "gsi1pk", "gsi1sk"];
  const valid =
    Object.keys(key).length === attributes.length &&
    attributes.every((name) => typeof key[name] === "string" && key[name] !== "") &&
    key.pk === read.pk &&
    key.sk!.startsWith(read.prefix ?? "");
  if (!valid) throw new ValidationError("cursor is not one this API returned", "cursor");
  return key;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
