// MySQL / MariaDB source: `mysql2` streaming query (rows flow through a paused/resumed stream,
// never buffered whole); `:last_pull` is bound as `?`.
import mysql from "mysql2";
import type { Connection, ConnectionOptions } from "mysql2";
import type { ConnectionConfig } from "../connectors/types.js";
import { watermarkOf, type CatalogEntry, type CheckResult, type ReadParams, type Row, type Source, type SourceOptions } from "./contract.js";
import { classifyNetworkError, errorCode, SourceError, type SourceErrorType } from "./errors.js";
import { inBatches } from "./batches.js";
import { bindLastPull } from "./lastPull.js";
import { connectWithTls, type TlsAttempt } from "./tls.js";

type SslSetting = ConnectionOptions["ssl"];

const sslSettings: Record<TlsAttempt, SslSetting> = {
  off: undefined,
  unverified: { rejectUnauthorized: false },
  "verify-ca": { rejectUnauthorized: true },
  "verify-full": { rejectUnauthorized: true },
  "driver-default": undefined,
};

export function classifyMySqlError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  let type: SourceErrorType;
  if (code === "ER_ACCESS_DENIED_ERROR" || code === "ER_NOT_SUPPORTED_AUTH_MODE") type = "authentication_failed";
  // The server answers "access denied to database" for one that does not exist, unless the
  // user may see every database: either way the login worked and the database is unusable.
  else if (code === "ER_BAD_DB_ERROR" || code === "ER_DBACCESS_DENIED_ERROR") type = "database_not_found";
  else if (code === "PROTOCOL_SEQUENCE_TIMEOUT" || code === "ER_QUERY_TIMEOUT" || code === "ER_STATEMENT_TIMEOUT") type = "timeout";
  else if (code === "HANDSHAKE_NO_SSL_SUPPORT" || code === "HANDSHAKE_SSL_ERROR") type = "ssl_error";
  else if (code?.startsWith("ER_")) type = "query_error";
  else type = classifyNetworkError(error) ?? "query_error";
  return new SourceError(type, message, code, { cause: error });
}

function connectOnce(options: ConnectionOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection(options);
    connection.once("error", reject);
    connection.connect((error) => {
      if (error) {
        connection.destroy();
        reject(error);
      } else {
        connection.removeListener("error", reject);
        // Later connection errors surface on the query that is running.
        connection.on("error", () => undefined);
        resolve(connection);
      }
    });
  });
}

function run<T>(connection: Connection, sql: string, values: unknown[] = [], timeout?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values, timeout }, (error, rows) => (error ? reject(error) : resolve(rows as T)));
  });
}

export class MySqlSource implements Source {
  private connection: Connection | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private connectionOptions(ssl: SslSetting): ConnectionOptions {
    const c = this.config;
    const base: ConnectionOptions = {
      connectTimeout: this.options.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: false,
      timezone: "Z",
      charset: typeof c.charset === "string" ? c.charset : "utf8mb4",
    };
    if (ssl !== undefined) base.ssl = ssl;
    if (typeof c.dsn === "string") return { ...base, uri: c.dsn.replace(/^mariadb:/i, "mysql:") };
    return {
      ...base,
      host: c.host as string,
      port: (c.port as number | undefined) ?? 3306,
      database: c.database as string,
      user: (c.username ?? c.user) as string,
      password: c.password as string | undefined,
    };
  }

  private async connect(): Promise<Connection> {
    if (this.connection) return this.connection;
    this.connection = await connectWithTls(
      this.config.ssl_mode,
      async (tls) => {
        const connection = await connectOnce(this.connectionOptions(sslSettings[tls]));
        try {
          // The watermark is bound as UTC; NOW() and TIMESTAMP columns must be read in UTC too.
          await run(connection, "SET time_zone = '+00:00'");
          return connection;
        } catch (error) {
          connection.destroy();
          throw error;
        }
      },
      classifyMySqlError,
    );
    return this.connection;
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    try {
      const connection = await this.connect();
      const [info] = await run<{ version: string; now: Date }[]>(connection, "SELECT VERSION() AS version, UTC_TIMESTAMP(6) AS now");
      const databases = await run<{ Database: string }[]>(connection, "SHOW DATABASES");
      const system = new Set(["information_schema", "mysql", "performance_schema", "sys"]);
      return {
        latencyMs: Math.round(performance.now() - started),
        version: /mariadb/i.test(info!.version) ? `MariaDB ${info!.version}` : `MySQL ${info!.version}`,
        serverTime: new Date(info!.now).toISOString(),
        schemas: databases.map((d) => d.Database).filter((name) => !system.has(name)),
      };
    } catch (error) {
      throw classifyMySqlError(error);
    }
  }

  async discover(): Promise<CatalogEntry[]> {
    const { discoverMySql } = await import("./mysqlCatalog.js");
    try {
      const connection = await this.connect();
      return await discoverMySql((sql, values) => run(connection, sql, values));
    } catch (error) {
      throw classifyMySqlError(error);
    }
  }

  async *read(query: string, params: ReadParams, batchSize: number): AsyncIterable<Row[]> {
    const { text, count } = bindLastPull(query, "mysql");
    const connection = await this.connect();
    const stream = connection
      .query({ sql: text, values: new Array(count).fill(watermarkOf(params)), timeout: this.options.statementTimeoutMs })
      .stream({ highWaterMark: batchSize });
    try {
      yield* inBatches(stream, batchSize, (row) => row as Row);
    } catch (error) {
      throw classifyMySqlError(error);
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    await new Promise<void>((resolve) => connection.end(() => resolve()));
    connection.destroy();
  }
}
