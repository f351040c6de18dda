// Reading commands: find and aggregate answer with a server-side cursor that getMore drains;
// mingo supplies the query language (filters, projection, sort, pipelines).
import { Long, type Document } from "bson";
import { Aggregator, ProcessingMode, Query } from "mingo";
import { matcher, select } from "../comparable.js";
import { CommandError, typeMismatch } from "../errors.js";
import { collectionName, idFirst, optionalCount, optionalDocument } from "./fields.js";
import type { CommandContext, CommandTable } from "./types.js";

function storedDocs({ server, db }: CommandContext, name: string): readonly Document[] {
  return server.store.collection(db, name)?.docs ?? [];
}

/** Unsorted finds match document by document as batches are taken (see cursors.ts). */
function* lazySelect(docs: readonly Document[], filter: Document | undefined, skip = 0, limit = 0): Generator<Document> {
  const test = matcher(filter);
  let skipped = 0;
  let taken = 0;
  for (const doc of [...docs]) {
    if (!test(doc)) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    yield doc;
    if (limit > 0 && ++taken >= limit) return;
  }
}

function find(ctx: CommandContext): Document {
  const { command, db, server } = ctx;
  const name = collectionName(command, "find");
  const sort = optionalDocument(command, "sort");
  const projection = optionalDocument(command, "projection");
  const project = (doc: Document) =>
    idFirst(projection && Object.keys(projection).length > 0 ? new Query({}).find<Document>([doc], projection).all()[0]! : doc);
  // Unsorted, or sorted on _id alone (which MongoDB walks in its _id index): documents are
  // matched one by one as batches are taken, so an error at the 150th surfaces in a getMore.
  const byId = sort !== undefined && Object.keys(sort).length === 1 && "_id" in sort;
  if (!sort || Object.keys(sort).length === 0 || byId) {
    const docs = byId ? select(storedDocs(ctx, name), { sort }) : storedDocs(ctx, name);
    const selected = lazySelect(docs, optionalDocument(command, "filter"), optionalCount(command, "skip"), optionalCount(command, "limit"));
    const results = (function* () {
      for (const doc of selected) yield project(doc);
    })();
    return server.cursors.open(`${db}.${name}`, results, optionalCount(command, "batchSize"), command.singleBatch === true);
  }
  const selected = select(storedDocs(ctx, name), {
    filter: optionalDocument(command, "filter"),
    sort,
    skip: optionalCount(command, "skip"),
    limit: optionalCount(command, "limit"),
  });
  // Projected after sort, skip and limit, which may use fields the projection drops.
  return server.cursors.open(`${db}.${name}`, selected.map(project), optionalCount(command, "batchSize"), command.singleBatch === true);
}

/** Leading $match stages go through the numeric view (see comparable.ts); the rest runs on mingo as is. */
function runPipeline(docs: readonly Document[], pipeline: Document[]): Document[] {
  const firstOther = pipeline.findIndex((stage) => !(Object.keys(stage).length === 1 && "$match" in stage));
  const split = firstOther < 0 ? pipeline.length : firstOther;
  const matches = pipeline.slice(0, split).map((stage) => stage.$match as Document);
  let source = matches.length > 0 ? select(docs, { filter: { $and: matches } }) : docs;
  let rest = pipeline.slice(split);
  // $sample as MongoDB runs it on a small collection (a scan and a random sort): distinct
  // documents. mingo's own $sample draws with replacement, so a document could come twice.
  const sample = rest[0]?.$sample as { size?: unknown } | undefined;
  if (sample && typeof sample.size === "number") {
    source = shuffled(source).slice(0, sample.size);
    rest = rest.slice(1);
  }
  // Cloned input: stages such as $set must not write through to stored documents.
  return new Aggregator(rest, { processingMode: ProcessingMode.CLONE_INPUT }).run(source as Document[]) as Document[];
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function aggregate(ctx: CommandContext): Document {
  const { command, db, server } = ctx;
  const pipeline: unknown = command.pipeline;
  if (!Array.isArray(pipeline)) throw typeMismatch("'pipeline' option must be specified as an array");
  const cursorOptions = optionalDocument(command, "cursor");
  if (!cursorOptions && command.explain !== true) {
    throw new CommandError(9, "FailedToParse", "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  // `aggregate: 1` runs a collection-less pipeline (e.g. starting with $documents).
  const dbLevel = command.aggregate === 1;
  const name = dbLevel ? undefined : collectionName(command, "aggregate");
  const source = name === undefined ? [] : storedDocs(ctx, name);
  const results = runPipeline(source, pipeline as Document[]);
  const ns = name === undefined ? `${db}.$cmd.aggregate` : `${db}.${name}`;
  return server.cursors.open(ns, results, optionalCount(cursorOptions ?? {}, "batchSize"));
}

function getMore({ command, db, server }: CommandContext): Document {
  const id: unknown = command.getMore;
  if (!Long.isLong(id)) throw typeMismatch("Field 'getMore' must be of type long");
  const collection: unknown = command.collection;
  if (typeof collection !== "string") throw typeMismatch("Field 'collection' must be of type string");
  return server.cursors.next(id, `${db}.${collection}`, optionalCount(command, "batchSize"));
}

function killCursors({ command, server }: CommandContext): Document {
  collectionName(command, "killCursors");
  const ids: unknown = command.cursors;
  if (!Array.isArray(ids) || !ids.every((id) => Long.isLong(id))) throw typeMismatch("Field 'cursors' must be an array of longs");
  const { killed, notFound } = server.cursors.kill(ids);
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

/** The legacy count command, still what estimatedDocumentCount sends. */
function count(ctx: CommandContext): Document {
  const { command } = ctx;
  const matches = matcher(optionalDocument(command, "query"));
  const matched = storedDocs(ctx, collectionName(command, "count")).filter(matches).length;
  const afterSkip = Math.max(0, matched - (optionalCount(command, "skip") ?? 0));
  const limit = optionalCount(command, "limit");
  return { n: limit ? Math.min(afterSkip, limit) : afterSkip, ok: 1 };
}

export const readCommands: CommandTable = {
  find: { run: find },
  aggregate: { run: aggregate },
  getMore: { run: getMore },
  killCursors: { run: killCursors },
  count: { run: count },
};
