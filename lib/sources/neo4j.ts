// Neo4j source (Bolt): Cypher with `$last_pull` bound as a DateTime (or `$last_pull_ms`,
// `$last_pull_iso`); records are pulled `fetchSize` at a time through the driver's async
// iterator, which asks the server for more only as they are consumed (backpressure).
import neo4j, { type Driver, type Session } from "neo4j-driver";
import type { ConnectionConfig } from "../connectors/types.js";
import { watermarkOf, type CatalogEntry, type CheckResult, type DiscoverOptions, type ReadParams, type Row, type Source, type SourceOptions } from "./contract.js";
import { inBatches } from "./batches.js";
import { classifyNetworkError, SourceError, type SourceErrorType } from "./errors.js";
import { neo4jRoute, type Neo4jRoute } from "./neo4jRoute.js";

/**
 * The watermark parameters a Cypher query uses, and only those (a Bolt server that cannot take
 * a temporal parameter must not be sent one it does not need): `$last_pull` a DateTime,
 * `$last_pull_ms` epoch milliseconds (graphs that store `timestamp()`), `$last_pull_iso` text.
 */
export function watermarkParameters(cypher: string, lastPull: Date): Record<string, unknown> {
  const used = new Set([...cypher.matchAll(/\$(last_pull(?:_ms|_iso)?)\b/g)].map((m) => m[1]));
  const params: Record<string, unknown> = {};
  if (used.has("last_pull")) params.last_pull = neo4j.types.DateTime.fromStandardDate(lastPull);
  if (used.has("last_pull_ms")) params.last_pull_ms = neo4j.int(lastPull.getTime());
  if (used.has("last_pull_iso")) params.last_pull_iso = lastPull.toISOString();
  return params;
}

export function classifyNeo4jError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const code = (error as { code?: unknown })?.code;
  const text = typeof code === "string" ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  let type: SourceErrorType;
  if (text?.startsWith("Neo.ClientError.Security.") || /authenticat|unauthori[sz]ed|credentials/i.test(message)) type = "authentication_failed";
  else if (text === "Neo.ClientError.Database.DatabaseNotFound" || /database does not exist|DatabaseNotFound/i.test(message)) type = "database_not_found";
  else if (text?.startsWith("Neo.ClientError.Transaction.TransactionTimedOut")) type = "timeout";
  else if (text?.startsWith("Neo.") ) type = "query_error";
  else type = classifyNetworkError(error) ?? (text === "ServiceUnavailable" ? "connection_refused" : "query_error");
  return new SourceError(type, message, text, { cause: error });
}

export class Neo4jSource implements Source {
  private driver: Driver | undefined;
  private route: Neo4jRoute | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private get database(): string | undefined {
    return typeof this.config.database === "string" ? this.config.database : undefined;
  }

  private async connect(): Promise<Driver> {
    if (this.driver) return this.driver;
    const c = this.config;
    const token = typeof c.user === "string" ? neo4j.auth.basic(c.user, (c.password as string | undefined) ?? "") : undefined;
    const route = (this.route ??= await neo4jRoute(c, this.options.connectTimeoutMs));
    const driver = neo4j.driver(route.uri, token, {
      ...route.config,
      connectionTimeout: this.options.connectTimeoutMs,
      connectionAcquisitionTimeout: this.options.connectTimeoutMs,
      maxConnectionPoolSize: 2,
      disableLosslessIntegers: false,
      logging: { level: "error", logger: () => undefined },
    });
    try {
      await driver.verifyConnectivity(this.database ? { database: this.database } : {});
    } catch (error) {
      await driver.close().catch(() => undefined);
      throw route.endpoint.explain(classifyNeo4jError(error));
    }
    this.driver = driver;
    return driver;
  }

  // No READ access mode and no transaction timeout metadata: some Bolt servers (FalkorDB)
  // answer such queries with zero rows. The statement timeout is enforced here instead.
  private session(driver: Driver, fetchSize?: number): Session {
    return driver.session({ database: this.database, ...(fetchSize ? { fetchSize } : {}) });
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    try {
      const driver = await this.connect();
      const info = await driver.getServerInfo(this.database ? { database: this.database } : {});
      const session = this.session(driver);
      let serverTime: string | undefined;
      try {
        const result = await session.run("RETURN datetime() AS now");
        serverTime = new Date(String(result.records[0]?.get("now"))).toISOString();
      } catch {
        serverTime = undefined; // not every Bolt server has temporal functions
      } finally {
        await session.close();
      }
      return {
        latencyMs: Math.round(performance.now() - started),
        version: info.agent ?? `Bolt ${info.protocolVersion}`,
        serverTime,
        schemas: this.database ? [this.database] : [],
      };
    } catch (error) {
      throw classifyNeo4jError(error);
    }
  }

  async discover(options: DiscoverOptions = {}): Promise<CatalogEntry[]> {
    const { discoverNeo4j } = await import("./neo4jCatalog.js");
    const session = this.session(await this.connect());
    try {
      return await discoverNeo4j((cypher, params) => session.run(cypher, params), options.sampleSize);
    } catch (error) {
      throw classifyNeo4jError(error);
    } finally {
      await session.close();
    }
  }

  async *read(query: string, params: ReadParams, batchSize: number): AsyncIterable<Row[]> {
    const session = this.session(await this.connect(), batchSize);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void session.close().catch(() => undefined);
    }, this.options.statementTimeoutMs);
    try {
      const result = session.run(query, watermarkParameters(query, watermarkOf(params)));
      for await (const batch of inBatches(result, batchSize, (record) => record.toObject() as Row)) {
        if (timedOut) break;
        yield batch;
      }
    } catch (error) {
      if (!timedOut) throw classifyNeo4jError(error);
    } finally {
      clearTimeout(timer);
      await session.close().catch(() => undefined);
    }
    if (timedOut) throw new SourceError("timeout", `the query ran longer than ${this.options.statementTimeoutMs / 1000} s (statement_timeout_seconds)`);
  }

  async close(): Promise<void> {
    const driver = this.driver;
    const route = this.route;
    this.driver = undefined;
    this.route = undefined;
    await driver?.close().catch(() => undefined);
    await route?.close();
  }
}
