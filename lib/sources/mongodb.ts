// MongoDB source: the connector's `query` is a filter document in (Extended) JSON; the string
// ":last_pull" anywhere in it becomes the watermark Date. Read through a driver cursor whose
// batchSize is the connector's batch_size, so the server hands out one batch per getMore.
import { EJSON } from "bson";
import { Decimal128, Long, MongoClient, ObjectId, type Collection, type Document, type MongoClientOptions } from "mongodb";
import type { ConnectionConfig } from "../connectors/types.js";
import {
  watermarkOf,
  type CatalogEntry,
  type CheckResult,
  type DiscoverOptions,
  type KeyOrder,
  type KeyPosition,
  type KeyRange,
  type ReadParams,
  type Row,
  type Source,
  type SourceOptions,
} from "./contract.js";
import { inBatches } from "./batches.js";
import { classifyNetworkError, errorCode, SourceError, type SourceErrorType } from "./errors.js";
import { evenBoundaries, integerOf, rangesBetween, splitIntegers } from "./keyOrder.js";
import { guardMembers, mongoRoute, mongoTls } from "./mongodbRoute.js";
import { connectWithTls, effectiveSslMode, tlsMaterial } from "./tls.js";

const LAST_PULL = ":last_pull";

/** Parses the filter and puts the watermark where the string ":last_pull" stands. */
export function mongoFilter(query: string | null | undefined, lastPull: Date): Document {
  let parsed: unknown;
  try {
    parsed = EJSON.parse(query && query.trim() ? query : "{}", { relaxed: true });
  } catch (error) {
    throw new SourceError("query_error", `query is not a valid JSON filter: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SourceError("query_error", "query must be a JSON object (a MongoDB filter document)");
  }
  const substitute = (value: unknown): unknown => {
    if (value === LAST_PULL) return lastPull;
    if (Array.isArray(value)) return value.map(substitute);
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item)]));
    }
    return value;
  };
  return substitute(parsed) as Document;
}

export function classifyMongoError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : "";
  let type: SourceErrorType;
  if (code === "18" || /Authentication failed/i.test(message)) type = "authentication_failed";
  else if (code === "50" || /exceeded time limit|MaxTimeMSExpired/i.test(message)) type = "timeout";
  else if (name === "MongoServerError") type = "query_error";
  else {
    // Server selection wraps the socket error; its reason holds the cause.
    const cause = (error as { reason?: { servers?: Map<string, { error?: unknown }> } }).reason?.servers;
    const inner = cause ? [...cause.values()].map((s) => s.error).find(Boolean) : undefined;
    type = classifyNetworkError(inner) ?? classifyNetworkError(error) ?? (name === "MongoServerSelectionError" ? "timeout" : "query_error");
  }
  return new SourceError(type, message, code, { cause: error });
}

function renameId(doc: Document): Row {
  if (!("_id" in doc) || "id" in doc) return doc;
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

/**
 * The BSON type class of an _id, as MongoDB sorts and compares them. `$gt` and `$lte` only match
 * values of the bound's class, so a collection mixing classes cannot be read in ranges.
 */
type IdClass = "number" | "string" | "objectId";

function idClass(id: unknown): IdClass | "other" {
  if (typeof id === "number" || Long.isLong(id) || id instanceof Decimal128) return "number";
  if (typeof id === "string") return "string";
  return id instanceof ObjectId ? "objectId" : "other";
}

const oidInteger = (id: ObjectId) => BigInt(`0x${id.toHexString()}`);
const oidPosition = (value: bigint) => ({ $oid: value.toString(16).padStart(24, "0") });

/** The smallest or largest _id the filter selects: one document off the _id index. */
async function edgeId(collection: Collection, filter: Document, direction: 1 | -1, maxTimeMS: number): Promise<unknown> {
  const [doc] = await collection.find(filter, { sort: { _id: direction }, limit: 1, projection: { _id: 1 }, maxTimeMS }).toArray();
  return doc?._id;
}

class MongoKeyOrder implements KeyOrder {
  readonly column = "_id";

  constructor(
    private readonly collection: Collection,
    private readonly filter: Document,
    /** Undefined when the collection was empty: decimal text positions then stay strings. */
    readonly idClass: IdClass | undefined,
    private readonly maxTimeMS: number,
  ) {}

  positionOf(row: Row): KeyPosition {
    const id = "_id" in row ? row._id : row.id; // renameId keeps _id when the document has an id too
    if (id instanceof ObjectId) return { $oid: id.toHexString() };
    if (typeof id === "number" || typeof id === "string") return id;
    if (Long.isLong(id) || id instanceof Decimal128) return id.toString(); // beyond 2^53: its decimal text
    return null;
  }

  /** The _id a position stands for; decimal text is a number when the _ids are numbers. */
  idOf(position: KeyPosition): unknown {
    try {
      if (position !== null && typeof position === "object") return ObjectId.createFromHexString(position.$oid);
      if (typeof position !== "string" || this.idClass !== "number") return position;
      const integer = integerOf(position);
      return integer !== undefined && integer >= -(1n << 63n) && integer < 1n << 63n ? Long.fromBigInt(integer) : Decimal128.fromString(position);
    } catch (error) {
      throw new SourceError("query_error", `key position ${JSON.stringify(position)} is not an _id: ${(error as Error).message}`, undefined, { cause: error });
    }
  }

  async split(parts: number): Promise<KeyRange[]> {
    if (parts <= 1 || (this.idClass !== "number" && this.idClass !== "objectId")) return [{}];
    try {
      const min = await edgeId(this.collection, this.filter, 1, this.maxTimeMS);
      const max = await edgeId(this.collection, this.filter, -1, this.maxTimeMS);
      if (min instanceof ObjectId && max instanceof ObjectId) {
        return rangesBetween(evenBoundaries(oidInteger(min), oidInteger(max), parts).map(oidPosition));
      }
      const integer = (id: unknown) => (Long.isLong(id) ? id.toBigInt() : id);
      return splitIntegers(integer(min), integer(max), parts);
    } catch (error) {
      throw classifyMongoError(error);
    }
  }

  async estimate(): Promise<number | undefined> {
    // Only the whole collection has a cheap count: the one its metadata keeps.
    if (Object.keys(this.filter).length > 0) return undefined;
    try {
      return await this.collection.estimatedDocumentCount({ maxTimeMS: this.maxTimeMS });
    } catch (error) {
      throw classifyMongoError(error);
    }
  }

  /** `filter` limited to `range`; undefined when no document can be in it (NULL keys). */
  rangeFilter(filter: Document, { after, upTo }: KeyRange): Document | undefined {
    if (after === null) return undefined; // an _id is never missing: no row comes after the last
    const bounds: Document = {};
    if (after !== undefined) bounds.$gt = this.idOf(after);
    if (upTo != null) bounds.$lte = this.idOf(upTo);
    if (Object.keys(bounds).length === 0) return filter;
    return Object.keys(filter).length === 0 ? { _id: bounds } : { $and: [filter, { _id: bounds }] };
  }
}

export class MongoSource implements Source {
  private client: MongoClient | undefined;
  /** Opened once per source: a failed connect tried again goes the same way (the same tunnel). */
  private route: Awaited<ReturnType<typeof mongoRoute>> | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private get database(): string {
    return this.config.database as string;
  }

  private async connect(): Promise<MongoClient> {
    if (this.client) return this.client;
    const c = this.config;
    const base: MongoClientOptions = {
      serverSelectionTimeoutMS: this.options.connectTimeoutMs,
      connectTimeoutMS: this.options.connectTimeoutMs,
      // The pool closes a connection idle longer than idle_timeout_seconds.
      ...(this.options.idleTimeoutMs ? { maxIdleTimeMS: this.options.idleTimeoutMs } : {}),
      appName: "sluice",
    };
    if (typeof c.auth_source === "string") base.authSource = c.auth_source;
    if (typeof c.replica_set === "string") base.replicaSet = c.replica_set;
    if (typeof c.read_preference === "string") base.readPreference = c.read_preference as MongoClientOptions["readPreference"];
    if (typeof c.tls === "boolean") base.tls = c.tls;
    const route = (this.route ??= await mongoRoute(c, this.options.connectTimeoutMs));
    const material = tlsMaterial(c);
    this.client = await connectWithTls(
      effectiveSslMode(c),
      async (tls) => {
        const client = new MongoClient(route.uri, { ...base, ...route.options, ...mongoTls(tls, material) });
        const refusal = guardMembers(client);
        try {
          await client.connect();
          const refused = refusal();
          if (refused) throw refused;
          return client;
        } catch (error) {
          await client.close().catch(() => undefined);
          throw refusal() ?? error; // a refused member closed the client under connect()
        }
      },
      (error) => route.endpoint?.explain(classifyMongoError(error)) ?? classifyMongoError(error),
    );
    return this.client;
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    try {
      const client = await this.connect();
      const admin = client.db("admin");
      const hello = await admin.command({ hello: 1 });
      const build = await admin.command({ buildInfo: 1 });
      let databases: string[] | undefined;
      try {
        databases = (await admin.command({ listDatabases: 1, nameOnly: true })).databases.map((d: { name: string }) => d.name);
      } catch {
        databases = undefined; // not allowed for this user: existence cannot be checked
      }
      if (databases && !databases.includes(this.database)) {
        throw new SourceError("database_not_found", `database "${this.database}" does not exist on this server`);
      }
      const collections = await client.db(this.database).listCollections({}, { nameOnly: true }).toArray();
      return {
        latencyMs: Math.round(performance.now() - started),
        version: `MongoDB ${build.version}`,
        serverTime: hello.localTime instanceof Date ? hello.localTime.toISOString() : undefined,
        schemas: collections.map((col) => col.name).sort(),
      };
    } catch (error) {
      throw classifyMongoError(error);
    }
  }

  async discover(options: DiscoverOptions = {}): Promise<CatalogEntry[]> {
    const { discoverMongo } = await import("./mongodbCatalog.js");
    try {
      return await discoverMongo((await this.connect()).db(this.database), options.sampleSize);
    } catch (error) {
      throw classifyMongoError(error);
    }
  }

  private async collection(): Promise<Collection> {
    const name = this.config.collection;
    if (typeof name !== "string") {
      throw new SourceError("query_error", "connection_config.collection is required to pull from MongoDB");
    }
    return (await this.connect()).db(this.database).collection(name);
  }

  /** Always by _id, whatever `column` says: the one key every document has, and indexed. */
  async keyOrder(query: string, params: ReadParams, _column?: string): Promise<KeyOrder | undefined> {
    const filter = mongoFilter(query, watermarkOf(params));
    const collection = await this.collection();
    const maxTimeMS = this.options.statementTimeoutMs;
    let min: unknown;
    let max: unknown;
    try {
      // Over the whole collection, through the _id index: sort order groups _ids by type class,
      // so equal classes at both ends mean one class throughout.
      min = await edgeId(collection, {}, 1, maxTimeMS);
      max = await edgeId(collection, {}, -1, maxTimeMS);
    } catch (error) {
      throw classifyMongoError(error);
    }
    if (min === undefined) return new MongoKeyOrder(collection, filter, undefined, maxTimeMS);
    const low = idClass(min);
    if (low === "other" || low !== idClass(max)) return undefined;
    return new MongoKeyOrder(collection, filter, low, maxTimeMS);
  }

  async *read(query: string, params: ReadParams, batchSize: number, order?: { order: KeyOrder; range: KeyRange }): AsyncIterable<Row[]> {
    let filter = mongoFilter(query, watermarkOf(params));
    const collection = await this.collection();
    let sort: Document | undefined;
    if (order) {
      // Positions revive by the _ids' type class, which only this source's key order knows.
      const key = order.order instanceof MongoKeyOrder ? order.order : await this.keyOrder(query, params);
      if (!(key instanceof MongoKeyOrder)) throw new SourceError("query_error", "the collection's _ids mix types and cannot be read in order");
      const limited = key.rangeFilter(filter, order.range);
      if (limited === undefined) return;
      filter = limited;
      sort = { _id: 1 };
    }
    const cursor = collection.find(filter, { batchSize, sort, maxTimeMS: this.options.statementTimeoutMs });
    try {
      yield* inBatches(cursor, batchSize, renameId);
    } catch (error) {
      throw classifyMongoError(error);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    const endpoint = this.route?.endpoint;
    this.client = undefined;
    this.route = undefined;
    await client?.close().catch(() => undefined);
    await endpoint?.close().catch(() => undefined);
  }
}
