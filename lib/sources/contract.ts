// The Source contract every database type implements. A Source owns one connection, opened on
// first use and closed by close(): callers open a source per pull, test or discovery.

export type Row = Record<string, unknown>;

export interface CheckResult {
  latencyMs: number;
  version: string;
  serverTime?: string;
  schemas?: string[];
}

export interface CatalogColumn {
  name: string;
  data_type: string;
  nullable?: boolean;
  primary_key?: boolean;
}

/** A table, view, collection, label or relationship type found by discovery. */
export interface CatalogEntry {
  kind: "table" | "view" | "collection" | "label" | "relationship";
  /** The database above the schema, where the server has one (PostgreSQL, MongoDB). */
  database?: string;
  schema?: string;
  name: string;
  columns: CatalogColumn[];
  row_estimate?: number;
}

export interface ReadParams {
  /** The watermark; null on a first pull, which binds 1970-01-01T00:00:00Z. */
  last_pull: Date | null;
}

export interface DiscoverOptions {
  /** Documents sampled per collection to infer fields and types (MongoDB). */
  sampleSize?: number;
}

/**
 * A key value kept in a run's checkpoint: JSON, so the run record can hold it (numbers, strings;
 * a MongoDB ObjectId as `{"$oid": "<hex>"}`; a key beyond 2^53 as its decimal text). `null` is
 * the position of a row without a key: such rows are read last (see KeyRange).
 */
export type KeyPosition = string | number | { $oid: string } | null;

/**
 * Part of a query's rows in key order: those whose key is after `after` (exclusive; from the
 * first when absent) up to `upTo` (inclusive; to the last when absent). Rows whose key is NULL
 * come after every other row, in the range without `upTo` only; `after: null` reads just them.
 */
export interface KeyRange {
  after?: KeyPosition;
  upTo?: KeyPosition;
}

/** How one query's rows can be read in the order of one key column, for checkpoints and partitions. */
export interface KeyOrder {
  /** The key column as the source names it (MongoDB: `_id`, which rows carry as `id`). */
  column: string;
  /** The position of a row read in this order: its key as JSON (see KeyPosition). */
  positionOf(row: Row): KeyPosition;
  /**
   * Splits the rows into at most `parts` ranges that together cover every row exactly once, in
   * key order, the last without `upTo`. Integer keys (and ObjectIds) split by min and max; other
   * keys, or a query with no rows, give one range `{}`.
   */
  split(parts: number): Promise<KeyRange[]>;
  /** The rows the query will return, where the source can tell cheaply (the planner's estimate). */
  estimate(): Promise<number | undefined>;
}

export interface Source {
  check(): Promise<CheckResult>;
  discover(options?: DiscoverOptions): Promise<CatalogEntry[]>;
  /**
   * Streams the query's rows in batches of at most batchSize; memory stays bounded. With an
   * `order` (from keyOrder) the rows come in key order, limited to `range`.
   */
  read(query: string, params: ReadParams, batchSize: number, order?: { order: KeyOrder; range: KeyRange }): AsyncIterable<Row[]>;
  /**
   * How the query's rows can be read in the order of `column` (the connector's id_column; MongoDB
   * always orders by `_id`); undefined when they cannot (the column is not in the result, or the
   * source cannot wrap the query: Neo4j). Opens the connection.
   */
  keyOrder?(query: string, params: ReadParams, column: string): Promise<KeyOrder | undefined>;
  close(): Promise<void>;
}

export interface SourceOptions {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** `idle_timeout_seconds`: how long a connection may sit idle, where the driver has such a timeout. */
  idleTimeoutMs?: number;
}

export const EPOCH = new Date("1970-01-01T00:00:00.000Z");

export function watermarkOf(params: ReadParams): Date {
  return params.last_pull ?? EPOCH;
}
