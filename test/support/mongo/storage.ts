// In-memory databases and collections. Documents are kept as deserialized BSON values, so
// Dates, ObjectIds, Decimal128, Long and Binary go back to the driver exactly as they came.
import { BSON, EJSON, UUID, type Document } from "bson";

export const ID_INDEX: Document = { v: 2, key: { _id: 1 }, name: "_id_" };

/** A stable string for an _id value, so the _id index can be a Map. */
export const idKey = (id: unknown): string => EJSON.stringify({ id }, { relaxed: false });

export class Collection {
  readonly uuid = new UUID();
  readonly indexes: Document[] = [ID_INDEX];
  #docs: Document[] = [];
  readonly #ids = new Set<string>();

  constructor(
    readonly name: string,
    readonly options: Document = {},
  ) {}

  get docs(): readonly Document[] {
    return this.#docs;
  }

  hasId(id: unknown): boolean {
    return this.#ids.has(idKey(id));
  }

  insert(doc: Document): void {
    this.#ids.add(idKey(doc._id));
    this.#docs.push(doc);
  }

  /** Swaps a stored document for its replacement; the _id is the same by the caller's check. */
  replace(current: Document, next: Document): void {
    const at = this.#docs.indexOf(current);
    if (at >= 0) this.#docs[at] = next;
  }

  remove(doomed: ReadonlySet<Document>): void {
    if (doomed.size === 0) return;
    for (const doc of doomed) this.#ids.delete(idKey(doc._id));
    this.#docs = this.#docs.filter((doc) => !doomed.has(doc));
  }

  /** BSON bytes of all documents: what listDatabases reports as sizeOnDisk. */
  byteSize(): number {
    return this.#docs.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  }
}

export class Store {
  readonly #databases = new Map<string, Map<string, Collection>>();

  collection(db: string, name: string): Collection | undefined {
    return this.#databases.get(db)?.get(name);
  }

  /** Writes create their collection (and so their database) implicitly, as MongoDB does. */
  ensureCollection(db: string, name: string, options?: Document): Collection {
    let collections = this.#databases.get(db);
    if (!collections) this.#databases.set(db, (collections = new Map()));
    let collection = collections.get(name);
    if (!collection) collections.set(name, (collection = new Collection(name, options)));
    return collection;
  }

  collections(db: string): Collection[] {
    return [...(this.#databases.get(db)?.values() ?? [])];
  }

  drop(db: string, name: string): Collection | undefined {
    const collections = this.#databases.get(db);
    const collection = collections?.get(name);
    collections?.delete(name);
    // A database exists only while it holds a collection.
    if (collections?.size === 0) this.#databases.delete(db);
    return collection;
  }

  dropDatabase(db: string): void {
    this.#databases.delete(db);
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()];
  }
}
