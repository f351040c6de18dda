// How one update statement changes one document: operator updates through mingo's updater,
// pipelines through its aggregator, and whole-document replacements, with upsert seeding.
import { ObjectId, type Document } from "bson";
import { Aggregator, update as applyOperators } from "mingo";
import { badValue, CommandError } from "../errors.js";
import { idKey } from "../storage.js";
import { idFirst } from "./fields.js";

export type Modification = Document | Document[];

const isOperatorUpdate = (u: Document): boolean => Object.keys(u).some((key) => key.startsWith("$"));

function immutableId(): CommandError {
  return new CommandError(66, "ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'");
}

function checkIdUnchanged(before: Document, after: Document): void {
  if ("_id" in after && idKey(after._id) !== idKey(before._id)) throw immutableId();
}

/** Splits off $setOnInsert, which mingo does not know and which only applies on insert. */
function withoutSetOnInsert(u: Document): { operators: Document; onInsert: Document } {
  const { $setOnInsert, ...operators } = u;
  return { operators, onInsert: ($setOnInsert as Document | undefined) ?? {} };
}

function runOperators(doc: Document, operators: Document, arrayFilters?: Document[]): boolean {
  for (const [operator, fields] of Object.entries(operators)) {
    if (!operator.startsWith("$")) throw badValue(`Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`);
    for (const path of Object.keys(fields as Document)) {
      // A document without _id yet is an upsert being built; it may take any _id.
      if ((path !== "_id" && !path.startsWith("_id.")) || !("_id" in doc)) continue;
      if (operator !== "$set" || idKey((fields as Document)[path]) !== idKey(doc._id)) throw immutableId();
    }
  }
  if (Object.keys(operators).length === 0) return false;
  return applyOperators(doc, operators, arrayFilters).length > 0;
}

/** Returns the document to store (the same object when changed in place) and whether it changed. */
export function modify(doc: Document, u: Modification, arrayFilters?: Document[]): { next: Document; changed: boolean } {
  if (Array.isArray(u)) {
    const [next] = new Aggregator(u).run([{ ...doc }]) as Document[];
    if (!next) throw badValue("update pipeline produced no document");
    checkIdUnchanged(doc, next);
    const result = idFirst({ ...next, _id: doc._id });
    return { next: result, changed: idKey(result) !== idKey(doc) };
  }
  if (isOperatorUpdate(u)) {
    const changed = runOperators(doc, withoutSetOnInsert(u).operators, arrayFilters);
    return { next: doc, changed };
  }
  checkIdUnchanged(doc, u);
  const next = { _id: doc._id, ...u };
  return { next, changed: idKey(next) !== idKey(doc) };
}

/** Equality fields of the filter seed an upserted document, as on a real server. */
function seedFromFilter(q: Document): Document {
  const seed: Document = {};
  const equalities: Document = {};
  for (const [path, condition] of Object.entries(q)) {
    if (path.startsWith("$")) continue;
    const isOperatorObject =
      condition !== null && typeof condition === "object" && condition.constructor === Object && Object.keys(condition).some((k) => k.startsWith("$"));
    if (!isOperatorObject) equalities[path] = condition;
    else if ("$eq" in condition) equalities[path] = (condition as Document).$eq;
  }
  if (Object.keys(equalities).length > 0) applyOperators(seed, { $set: equalities });
  return seed;
}

/** Builds the document an upsert inserts when nothing matched. */
export function upsertDocument(q: Document, u: Modification, arrayFilters?: Document[]): Document {
  const seed = seedFromFilter(q);
  let doc: Document;
  if (Array.isArray(u)) {
    doc = (new Aggregator(u).run([seed]) as Document[])[0] ?? seed;
  } else if (isOperatorUpdate(u)) {
    const { operators, onInsert } = withoutSetOnInsert(u);
    doc = seed;
    runOperators(doc, operators, arrayFilters);
    if (Object.keys(onInsert).length > 0) applyOperators(doc, { $set: onInsert });
  } else {
    doc = { ...("_id" in seed ? { _id: seed._id } : {}), ...u };
  }
  return idFirst("_id" in doc ? doc : { _id: new ObjectId(), ...doc });
}
