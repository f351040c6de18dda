// Catalogue commands: databases, collections and indexes. Indexes are recorded so listIndexes
// shows them, but only _id is enforced; queries always scan.
import type { Document } from "bson";
import { matcher } from "../comparable.js";
import { CommandError, namespaceNotFound } from "../errors.js";
import { ID_INDEX, type Collection } from "../storage.js";
import { collectionName, documentArray, optionalCount, optionalDocument } from "./fields.js";
import type { CommandContext, CommandTable } from "./types.js";

const cursorBatchSize = (command: Document): number | undefined => optionalCount(optionalDocument(command, "cursor") ?? {}, "batchSize");

function collectionEntry(collection: Collection): Document {
  return {
    name: collection.name,
    type: "collection",
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: ID_INDEX,
  };
}

function listCollections({ command, db, server }: CommandContext): Document {
  const entries = server.store.collections(db).map(collectionEntry).filter(matcher(optionalDocument(command, "filter")));
  const results = command.nameOnly === true ? entries.map(({ name, type }) => ({ name, type })) : entries;
  return server.cursors.open(`${db}.$cmd.listCollections`, results, cursorBatchSize(command));
}

function listDatabases({ command, db, server }: CommandContext): Document {
  if (db !== "admin") throw new CommandError(13, "Unauthorized", "listDatabases may only be run against the admin database.");
  const databases = server.store
    .databaseNames()
    .map((name) => ({ name, sizeOnDisk: server.store.collections(name).reduce((sum, c) => sum + c.byteSize(), 0), empty: false }))
    .filter(matcher(optionalDocument(command, "filter")));
  if (command.nameOnly === true) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
  const totalSize = databases.reduce((sum, entry) => sum + entry.sizeOnDisk, 0);
  return { databases, totalSize, totalSizeMb: Math.floor(totalSize / 2 ** 20), ok: 1 };
}

const ENVELOPE = new Set(["lsid", "txnNumber", "autocommit", "writeConcern", "comment", "apiVersion", "apiStrict", "apiDeprecationErrors"]);

function create({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "create");
  if (server.store.collection(db, name)) {
    throw new CommandError(48, "NamespaceExists", `Collection ${db}.${name} already exists.`);
  }
  // What is left once the envelope fields are gone is what listCollections reports as options.
  const options = Object.fromEntries(Object.entries(command).filter(([key]) => key !== "create" && !key.startsWith("$") && !ENVELOPE.has(key)));
  server.store.ensureCollection(db, name, options);
  return { ok: 1 };
}

// MongoDB 7 answers ok: 1 when dropping a collection that does not exist.
function drop({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "drop");
  const dropped = server.store.drop(db, name);
  return dropped ? { nIndexesWas: dropped.indexes.length, ns: `${db}.${name}`, ok: 1 } : { ok: 1 };
}

function dropDatabase({ db, server }: CommandContext): Document {
  server.store.dropDatabase(db);
  return { ok: 1 };
}

function existing({ db, server }: CommandContext, name: string): Collection {
  const collection = server.store.collection(db, name);
  if (!collection) throw namespaceNotFound(`${db}.${name}`);
  return collection;
}

function listIndexes(ctx: CommandContext): Document {
  const name = collectionName(ctx.command, "listIndexes");
  const collection = existing(ctx, name);
  return ctx.server.cursors.open(`${ctx.db}.$cmd.listIndexes.${name}`, [...collection.indexes], cursorBatchSize(ctx.command));
}

function createIndexes({ command, db, server }: CommandContext): Document {
  const name = collectionName(command, "createIndexes");
  const createdCollectionAutomatically = !server.store.collection(db, name);
  const collection = server.store.ensureCollection(db, name);
  const numIndexesBefore = collection.indexes.length;
  for (const spec of documentArray(command, "indexes")) {
    const key = optionalDocument(spec, "key");
    if (!key || typeof spec.name !== "string") throw new CommandError(9, "FailedToParse", "index specification needs 'key' and 'name'");
    if (!collection.indexes.some((index) => index.name === spec.name)) collection.indexes.push({ v: 2, ...spec });
  }
  return { numIndexesBefore, numIndexesAfter: collection.indexes.length, createdCollectionAutomatically, ok: 1 };
}

function dropIndexes(ctx: CommandContext): Document {
  const collection = existing(ctx, collectionName(ctx.command, "dropIndexes"));
  const target: unknown = ctx.command.index;
  const nIndexesWas = collection.indexes.length;
  const names = target === "*" ? collection.indexes.map((index) => index.name as string) : Array.isArray(target) ? target : [target];
  for (const name of names) {
    if (name === ID_INDEX.name) continue;
    const at = collection.indexes.findIndex((index) => index.name === name);
    if (at < 0 && target !== "*") throw new CommandError(27, "IndexNotFound", `index not found with name [${String(name)}]`);
    if (at >= 0) collection.indexes.splice(at, 1);
  }
  return { nIndexesWas, ok: 1 };
}

export const adminCommands: CommandTable = {
  listCollections: { run: listCollections },
  listDatabases: { run: listDatabases },
  create: { run: create },
  drop: { run: drop },
  dropDatabase: { run: dropDatabase },
  listIndexes: { run: listIndexes },
  createIndexes: { run: createIndexes },
  dropIndexes: { run: dropIndexes },
};
