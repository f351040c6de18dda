// Where a catalog or sync-history page resumes: the shared opaque cursor (its partition checked,
// so never another tenant's), and also exactly the key shape of the table or index read, inside
// the listed prefix. DynamoDB answers any other start key with an error of its own (a 500 here).
import { ValidationError } from "../errors.js";
import { decodeCursor, type StoreKey } from "../store/cursor.js";

export interface PageRead {
  /** The table's partition (TENANT#<t>) and the sort-key prefix of the items listed. */
  pk: string;
  prefix: string;
  /** Set when the page reads GSI1 (one connector's items): its partition. */
  gsi1pk?: string;
}

export function pageStart(cursor: string | undefined, read: PageRead): StoreKey | undefined {
  const key = decodeCursor(cursor, read.gsi1pk === undefined ? { attribute: "pk", value: read.pk } : { attribute: "gsi1pk", value: read.gsi1pk });
  if (!key) return undefined;
  const attributes = read.gsi1pk === undefined ? ["pk", "sk"] : ["pk", "sk", "gsi1pk", "gsi1sk"];
  const valid =
    Object.keys(key).length === attributes.length &&
    attributes.every((name) => typeof key[name] === "string" && key[name] !== "") &&
    key.pk === read.pk &&
    key.sk!.startsWith(read.prefix);
  if (!valid) throw new ValidationError("cursor is not one this API returned", "cursor");
  return key;
}
