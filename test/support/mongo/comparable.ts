// mingo orders BSON number wrappers (Long, Decimal128) by their strings, so Long(10) sorts
// before Long(9) and Long(5) never equals 5. Filters and sorts therefore run over a view in
// which those are plain numbers; the stored documents, untouched, are what gets returned.
import { Decimal128, Long, type Document } from "bson";
import { Query } from "mingo";

/** Precision past 2^53 is lost in the view, which only decides matching and order. */
export function comparable(value: unknown): unknown {
  if (Long.isLong(value)) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === "object" && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, comparable(inner)]));
  }
  return value;
}

export function matcher(filter: Document = {}): (doc: Document) => boolean {
  const query = new Query(comparable(filter) as Document);
  return (doc) => query.test(comparable(doc) as Document);
}

export interface Selection {
  filter?: Document;
  sort?: Document;
  skip?: number;
  limit?: number;
}

/** The stored documents a find selects, in order; projection is the caller's next step. */
export function select(docs: readonly Document[], { filter, sort, skip, limit }: Selection): Document[] {
  const views = docs.map((doc) => comparable(doc) as Document);
  const stored = new Map(views.map((view, i) => [view, docs[i]!]));
  let cursor = new Query(comparable(filter ?? {}) as Document).find<Document>(views);
  if (sort && Object.keys(sort).length > 0) cursor = cursor.sort(comparable(sort) as Document);
  if (skip) cursor = cursor.skip(skip);
  if (limit) cursor = cursor.limit(limit);
  return cursor.all().map((view) => stored.get(view)!);
}
