// Writing commands: insert, update and delete, each a batch of statements answered with the
// counts and per-statement writeErrors real MongoDB returns (ordered batches stop at the first).
import { ObjectId, type Document } from "bson";
import { matcher } from "../comparable.js";
import { badValue, CommandError } from "../errors.js";
import type { Collection } from "../storage.js";
import { collectionName, documentArray, idFirst } from "./fields.js";
import type { CommandContext, CommandTable } from "./types.js";
import { modify, upsertDocument, type Modification } from "./update.js";

interface Outcome {
  n: number;
  nModified?: number;
  upserted?: Document;
}

function duplicateKey(ns: string, id: unknown): CommandError {
  const shown = id instanceof ObjectId ? `ObjectId('${id.toHexString()}')` : JSON.stringify(id);
  return new CommandError(11000, "DuplicateKey", `E11000 duplicate key error collection: ${ns} index: _id_ dup key: { _id: ${shown} }`);
}

function insertInto(collection: Collection, ns: string, doc: Document): void {
  if (collection.hasId(doc._id)) throw duplicateKey(ns, doc._id);
  collection.insert(doc);
}

/**
 * Runs each statement; a failure becomes a writeError, not a failed command. Errors mingo
 * throws on a malformed filter or update are reported as BadValue with mingo's message.
 */
function runBatch<T>(statements: T[], options: { ordered: boolean; reportsModified?: boolean }, apply: (statement: T, index: number) => Outcome): Document {
  const reply: Document = { n: 0 };
  const writeErrors: Document[] = [];
  const upserted: Document[] = [];
  let nModified = 0;
  for (const [index, statement] of statements.entries()) {
    try {
      const outcome = apply(statement, index);
      reply.n += outcome.n;
      nModified += outcome.nModified ?? 0;
      if (outcome.upserted) upserted.push(outcome.upserted);
    } catch (error) {
      const failure = error instanceof CommandError ? error : badValue(error instanceof Error ? error.message : String(error));
      writeErrors.push({ index, code: failure.code, errmsg: failure.message });
      if (options.ordered) break;
    }
  }
  if (options.reportsModified) reply.nModified = nModified;
  if (upserted.length > 0) reply.upserted = upserted;
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  return { ...reply, ok: 1 };
}

function insert({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "insert");
  const documents = documentArray(command, "documents");
  const collection = server.store.ensureCollection(db, name);
  return runBatch(documents, { ordered: command.ordered !== false }, (doc) => {
    // The driver assigns _id itself; raw commands may not.
    insertInto(collection, `${db}.${name}`, idFirst("_id" in doc ? doc : { _id: new ObjectId(), ...doc }));
    return { n: 1 };
  });
}

interface UpdateStatement {
  q?: Document;
  u: Modification;
  multi?: boolean;
  upsert?: boolean;
  arrayFilters?: Document[];
}

function update({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "update");
  const statements = documentArray(command, "updates") as UpdateStatement[];
  const options = { ordered: command.ordered !== false, reportsModified: true };
  return runBatch(statements, options, (statement, index) => {
    const collection = server.store.collection(db, name);
    const docs = collection?.docs ?? [];
    const test = matcher(statement.q);
    const first = statement.multi ? undefined : docs.find(test);
    const matches = statement.multi ? docs.filter(test) : first ? [first] : [];
    if (matches.length === 0 && statement.upsert) {
      const doc = upsertDocument(statement.q ?? {}, statement.u, statement.arrayFilters);
      // Only an upsert creates the collection; an update that matched nothing leaves none behind.
      insertInto(server.store.ensureCollection(db, name), `${db}.${name}`, doc);
      return { n: 1, upserted: { index, _id: doc._id } };
    }
    let nModified = 0;
    for (const doc of matches) {
      const { next, changed } = modify(doc, statement.u, statement.arrayFilters);
      if (next !== doc) collection?.replace(doc, next);
      if (changed) nModified++;
    }
    return { n: matches.length, nModified };
  });
}

interface DeleteStatement {
  q?: Document;
  limit?: number;
}

function remove({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "delete");
  const statements = documentArray(command, "deletes") as DeleteStatement[];
  const collection = server.store.collection(db, name);
  return runBatch(statements, { ordered: command.ordered !== false }, (statement) => {
    if (!collection) return { n: 0 };
    const matches = collection.docs.filter(matcher(statement.q));
    const doomed = new Set(Number(statement.limit) === 1 ? matches.slice(0, 1) : matches);
    collection.remove(doomed);
    return { n: doomed.size };
  });
}

export const writeCommands: CommandTable = {
  insert: { run: insert },
  update: { run: update },
  delete: { run: remove },
};
