// REST API source: the connector's `query` is a JSON document in dlt's rest_api vocabulary (path,
// params, data_selector, paginator). A read is one unordered pass, one page at a time: the next
// page's request is in flight while the records of the current one are handed on.
import type { ConnectionConfig } from "../connectors/types.js";
import { parseRestApiQuery, restApiConfigSchema, type RestApiConfig, type RestApiQuery } from "../connectors/restApiSchema.js";
import { ValidationError } from "../errors.js";
import { parseWith } from "../validation.js";
import { EPOCH, watermarkOf, type CatalogEntry, type CheckResult, type DiscoverOptions, type ReadParams, type Row, type Source } from "./contract.js";
import { SourceError } from "./errors.js";
import { tokenSourceFor, type TokenSource } from "./restApiAuth.js";
import { DEFAULT_RETRY, RestApiClient, type JsonPage } from "./restApiHttp.js";
import { paginatorFor } from "./restApiPaginators.js";
import { kindOf, pathOf, valueAt } from "./restApiSelectors.js";

const DEFAULT_SAMPLE_SIZE = 100;

/** A param value with `:last_pull` as ISO 8601 and `:last_pull_epoch` as epoch seconds. */
export function withWatermark(value: string | number | boolean, watermark: Date): string {
  if (typeof value !== "string") return String(value);
  return value.replace(/:last_pull(_epoch)?(?![A-Za-z0-9_])/g, (_, epoch?: string) =>
    epoch ? String(Math.floor(watermark.getTime() / 1000)) : watermark.toISOString(),
  );
}

function paramsOf(query: RestApiQuery, watermark: Date): [string, string][] {
  return Object.entries(query.params ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((item): [string, string] => [name, withWatermark(item, watermark)]),
  );
}

/** The records array of a page: at data_selector, or the body itself, or its one array field. */
export function recordsOf(page: JsonPage, selector: string | undefined): unknown[] {
  const where = `the response to GET ${page.url.pathname}`;
  if (selector !== undefined) {
    const found = valueAt(page.body, pathOf(selector));
    if (Array.isArray(found)) return found;
    throw new SourceError("query_error", `data_selector "${selector}" found ${kindOf(found)} in ${where}, not an array of records`);
  }
  if (Array.isArray(page.body)) return page.body;
  const arrays = page.body !== null && typeof page.body === "object" ? Object.entries(page.body).filter(([, value]) => Array.isArray(value)) : [];
  if (arrays.length === 1) return arrays[0]![1] as unknown[];
  const hint = arrays.length > 1 ? ` (its arrays: ${arrays.map(([key]) => key).join(", ")})` : "";
  throw new SourceError("query_error", `${where} is ${kindOf(page.body)}, not an array of records: set data_selector to the records array${hint}`);
}

const rowOf = (record: unknown): Row =>
  record !== null && typeof record === "object" && !Array.isArray(record) ? (record as Row) : { value: record };

export class RestApiSource implements Source {
  private readonly parsed: { config: RestApiConfig } | { error: SourceError };
  /** Aborts whatever is in flight when the source closes. */
  private readonly closing = new AbortController();
  /** auth_type oauth2: one token for the life of this source (a pull, a test), renewed as it nears expiry. */
  private tokens: TokenSource | undefined;

  constructor(
    config: ConnectionConfig,
    /** The connector's query, where the caller passes it: tests and discovery then use its path. */
    private readonly context: { query?: string | null } = {},
  ) {
    // A config stored before a schema change is checked here, so the failure is typed, not a throw from openSource.
    try {
      this.parsed = { config: parseWith(restApiConfigSchema, config, "connection_config") };
    } catch (error) {
      this.parsed = { error: new SourceError("query_error", (error as Error).message) };
    }
  }

  private client(): RestApiClient {
    if ("error" in this.parsed) throw this.parsed.error;
    this.tokens ??= tokenSourceFor(this.parsed.config);
    return new RestApiClient(this.parsed.config, DEFAULT_RETRY, this.tokens);
  }

  private query(text: string | null | undefined): RestApiQuery {
    if (!text) throw new SourceError("query_error", 'the query document is required: {"path": "/v1/items", …}');
    try {
      return parseRestApiQuery(text);
    } catch (error) {
      if (error instanceof ValidationError) throw new SourceError("query_error", error.message);
      throw error;
    }
  }

  /** What a test or discovery requests: test_path, the query's path (with its params), or /. */
  private target(client: RestApiClient, forTest: boolean): { url: URL; path: string; query?: RestApiQuery } {
    const config = (this.parsed as { config: RestApiConfig }).config;
    const query = this.context.query ? this.query(this.context.query) : undefined;
    if (query && !(forTest && config.test_path)) {
      return { url: paginatorFor(query.paginator).first(client.url(query.path, paramsOf(query, EPOCH))), path: query.path, query };
    }
    const path = config.test_path ?? "/";
    return { url: client.url(path), path };
  }

  async check(): Promise<CheckResult> {
    const client = this.client();
    const { url } = this.target(client, true);
    const started = performance.now();
    const { status, headers } = await client.probe(url);
    const date = Date.parse(headers.get("date") ?? "");
    const server = headers.get("server");
    return {
      latencyMs: Math.round(performance.now() - started),
      version: `HTTP ${status}${server ? ` (${server})` : ""}`,
      serverTime: Number.isNaN(date) ? undefined : new Date(date).toISOString(),
      schemas: [],
    };
  }

  async discover(options: DiscoverOptions = {}): Promise<CatalogEntry[]> {
    const client = this.client();
    const { url, path, query } = this.target(client, false);
    const page = await client.getJson(url, this.closing.signal);
    const records = recordsOf(page, query?.data_selector).slice(0, options.sampleSize ?? DEFAULT_SAMPLE_SIZE).map(rowOf);
    const { sampledEntry } = await import("./restApiCatalog.js");
    return [sampledEntry(path.split("?")[0]!, records)];
  }

  async *read(text: string, params: ReadParams, batchSize: number): AsyncIterable<Row[]> {
    const query = this.query(text);
    const client = this.client();
    const paginator = paginatorFor(query.paginator);
    const reading = new AbortController();
    const signal = AbortSignal.any([reading.signal, this.closing.signal]);
    const first = paginator.first(client.url(query.path, paramsOf(query, watermarkOf(params))));
    let pending: Promise<JsonPage> | undefined = client.getJson(first, signal);
    try {
      while (pending) {
        const page = await pending;
        const records = recordsOf(page, query.data_selector);
        const next = paginator.next({ url: page.url, headers: page.headers, body: page.body, records });
        if (next && next.origin !== client.origin) {
          throw new SourceError("query_error", `the next page is on another host (${next.host}); it is not requested, so the credentials stay with ${page.url.host}`);
        }
        if (next && next.href === page.url.href) {
          throw new SourceError("query_error", `the paginator asks for GET ${next.pathname} again with the same parameters; stopping rather than looping`);
        }
        pending = next && client.getJson(next, signal);
        pending?.catch(() => undefined); // awaited next round; a read closed before then must not leave it unhandled
        for (let i = 0; i < records.length; i += batchSize) yield records.slice(i, i + batchSize).map(rowOf);
      }
    } finally {
      reading.abort();
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }
}
