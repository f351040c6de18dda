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

export interface Source {
  check(): Promise<CheckResult>;
  discover(options?: DiscoverOptions): Promise<CatalogEntry[]>;
  /** Streams the query's rows in batches of at most batchSize; memory stays bounded. */
  read(query: string, params: ReadParams, batchSize: number): AsyncIterable<Row[]>;
  close(): Promise<void>;
}

export interface SourceOptions {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export const EPOCH = new Date("1970-01-01T00:00:00.000Z");

export function watermarkOf(params: ReadParams): Date {
  return params.last_pull ?? EPOCH;
}
