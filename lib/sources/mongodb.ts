// MongoDB source: the connector's `query` is a filter document in (Extended) JSON; the string
// ":last_pull" anywhere in it becomes the watermark Date. Read through a driver cursor whose
// batchSize is the connector's batch_size, so the server hands out one batch per getMore.
import { EJSON } from "bson";
import { MongoClient, type Document, type MongoClientOptions } from "mongodb";
import type { ConnectionConfig } from "../connectors/types.js";
import { watermarkOf, type CatalogEntry, type CheckResult, type DiscoverOptions, type ReadParams, type Row, type Source, type SourceOptions } from "./contract.js";
import { inBatches } from "./batches.js";
import { classifyNetworkError, errorCode, SourceError, type SourceErrorType } from "./errors.js";

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

export class MongoSource implements Source {
  private client: MongoClient | undefined;

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
    const options: MongoClientOptions = {
      serverSelectionTimeoutMS: this.options.connectTimeoutMs,
      connectTimeoutMS: this.options.connectTimeoutMs,
      appName: "sluice",
    };
    if (typeof c.auth_source === "string") options.authSource = c.auth_source;
    if (typeof c.replica_set === "string") options.replicaSet = c.replica_set;
    if (typeof c.read_preference === "string") options.readPreference = c.read_preference as MongoClientOptions["readPreference"];
    if (typeof c.tls === "boolean") options.tls = c.tls;
    const client = new MongoClient((c.uri ?? c.connection_string) as string, options);
    try {
      await client.connect();
    } catch (error) {
      await client.close().catch(() => undefined);
      throw classifyMongoError(error);
    }
    this.client = client;
    return client;
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

  async *read(query: string, params: ReadParams, batchSize: number): AsyncIterable<Row[]> {
    const collection = this.config.collection;
    if (typeof collection !== "string") {
      throw new SourceError("query_error", "connection_config.collection is required to pull from MongoDB");
    }
    const filter = mongoFilter(query, watermarkOf(params));
    const client = await this.connect();
    const cursor = client
      .db(this.database)
      .collection(collection)
      .find(filter, { batchSize, maxTimeMS: this.options.statementTimeoutMs });
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
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
