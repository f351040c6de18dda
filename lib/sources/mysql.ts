// MySQL / MariaDB source: `mysql2` streaming query (rows flow through a paused/resumed stream,
// never buffered whole); `:last_pull` is bound as `?`.
import { connect as connectTcp } from "node:net";
import mysql from "mysql2";
import type { Connection, ConnectionOptions, FieldPacket } from "mysql2";
import type { ConnectionConfig } from "../connectors/types.js";
import {
  watermarkOf,
  type CatalogEntry,
  type CheckResult,
  type KeyOrder,
  type KeyPosition,
  type KeyRange,
  type ReadParams,
  type Row,
  type Source,
  type SourceOptions,
} from "./contract.js";
import { classifyNetworkError, errorCode, SourceError, type SourceErrorType } from "./errors.js";
import { inBatches } from "./batches.js";
import { integerOf, orderedSelect, splitIntegers, sqlPosition, WRAPPED, wrapQuery } from "./keyOrder.js";
import { bindLastPull } from "./lastPull.js";
import { openEndpoint, uriTarget, type Endpoint } from "./endpoint.js";
import { sslSetting, withoutAskedCertificate, type SslSetting } from "./mysqlTls.js";
import { connectWithTls, effectiveSslMode, tlsMaterial } from "./tls.js";

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
  else if (code === "HANDSHAKE_NO_SSL_SUPPORT" || code === "HANDSHAKE_SSL_ERROR" || code === "ER_SECURE_TRANSPORT_REQUIRED") type = "ssl_error";
  else if (code?.startsWith("ER_")) type = "query_error";
  else type = classifyNetworkError(error) ?? "query_error";
  return new SourceError(type, message, code, { cause: error });
}

function connectOnce(options: ConnectionOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection(options);
    const fail = (error: unknown) => reject(withoutAskedCertificate(error, connection, options));
    connection.once("error", fail);
    connection.connect((error) => {
      if (error) {
        fail(error);
        connection.destroy();
      } else {
        connection.removeListener("error", fail);
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

function resultColumns(connection: Connection, sql: string, values: unknown[], timeout: number): Promise<FieldPacket[]> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values, timeout }, (error, _rows, fields) => (error ? reject(error) : resolve(fields ?? [])));
  });
}

// Key columns whose value binds back to the same key. Integers (and DECIMAL of scale 0, YEAR)
// split by min and max; text in a character set (not binary, not ENUM/SET, which sort by their
// index) orders as one range. Dates and floats are left out: their JS values are rounded or
// shifted, so a resume would skip or repeat rows.
const INTEGER_TYPES = new Set([1, 2, 3, 8, 9, 13]);
const DECIMAL_TYPES = new Set([0, 246]);
const TEXT_TYPES = new Set([15, 249, 250, 251, 252, 253, 254]);
const BINARY_CHARSET = 63;
const ENUM_OR_SET = 256 | 2048;

function keyKind(field: FieldPacket): "integer" | "text" | undefined {
  const type = field.columnType ?? field.type ?? -1;
  if (INTEGER_TYPES.has(type) || (DECIMAL_TYPES.has(type) && field.decimals === 0)) return "integer";
  const flags = typeof field.flags === "number" ? field.flags : 0;
  if (TEXT_TYPES.has(type) && field.characterSet !== BINARY_CHARSET && (flags & ENUM_OR_SET) === 0) return "text";
  return undefined;
}

const keyOf = (column: string) => `${WRAPPED}.\`${column.replaceAll("`", "``")}\``;

type KeyQuery = <T>(sql: string, values: unknown[]) => Promise<T>;

class MySqlKeyOrder implements KeyOrder {
  constructor(
    private readonly query: KeyQuery,
    private readonly text: string,
    private readonly values: unknown[],
    readonly column: string,
    readonly kind: "integer" | "text",
  ) {}

  positionOf(row: Row): KeyPosition {
    const key = row[this.column];
    return typeof key === "number" || typeof key === "string" ? key : null;
  }

  /**
   * The value a position is bound as. An integer goes in as a BigInt, which mysql2 writes as a
   * number literal: quoted text would be compared as a double and round keys beyond 2^53.
   */
  bindable(position: KeyPosition): unknown {
    if (this.kind === "text") return sqlPosition(position);
    const integer = integerOf(position);
    if (integer === undefined) throw new SourceError("query_error", `key position ${JSON.stringify(position)} is not an integer`);
    return integer;
  }

  async split(parts: number): Promise<KeyRange[]> {
    if (this.kind !== "integer" || parts <= 1) return [{}];
    const key = keyOf(this.column);
    const [bounds] = await this.query<{ lo: unknown; hi: unknown }[]>(`SELECT MIN(${key}) AS lo, MAX(${key}) AS hi FROM ${wrapQuery(this.text)}`, this.values);
    return splitIntegers(bounds?.lo, bounds?.hi, parts);
  }

  /**
   * The product of rows × filtered over the tables of the outermost SELECT (its nested-loop
   * join): for one table, the rows EXPLAIN expects to read from it.
   */
  async estimate(): Promise<number | undefined> {
    const plan = await this.query<{ id: unknown; rows: unknown; filtered?: unknown }[]>(`EXPLAIN ${this.text}`, this.values);
    const outer = plan.filter((step) => step.id === plan[0]?.id);
    if (outer.length === 0 || outer.some((step) => step.rows === null || !Number.isFinite(Number(step.rows)))) return undefined;
    return Math.round(outer.reduce((rows, step) => rows * Number(step.rows) * (step.filtered == null ? 1 : Number(step.filtered) / 100), 1));
  }
}

export class MySqlSource implements Source {
  private connection: Connection | undefined;
  private endpoint: Endpoint | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private connectionOptions(ssl: SslSetting, endpoint: Endpoint): ConnectionOptions {
    const c = this.config;
    const base: ConnectionOptions = {
      // The socket goes to the checked address (or the tunnel); `host` stays the user's, for SNI and verify-full.
      stream: () => connectTcp({ host: endpoint.address, port: endpoint.port, noDelay: true }),
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
    const c = this.config;
    const target = typeof c.dsn === "string" ? uriTarget(c.dsn, 3306) : { host: c.host as string, port: (c.port as number | undefined) ?? 3306 };
    const endpoint = (this.endpoint ??= await openEndpoint(c, target, this.options.connectTimeoutMs));
    const material = tlsMaterial(c);
    this.connection = await connectWithTls(
      effectiveSslMode(c),
      async (tls) => {
        const connection = await connectOnce(this.connectionOptions(sslSetting(tls, material), endpoint));
        try {
          // The watermark is bound as UTC; NOW() and TIMESTAMP columns must be read in UTC too.
          await run(connection, "SET time_zone = '+00:00'");
          return connection;
        } catch (error) {
          connection.destroy();
          throw error;
        }
      },
      (error) => endpoint.explain(classifyMySqlError(error)),
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

  async keyOrder(query: string, params: ReadParams, column: string): Promise<KeyOrder | undefined> {
    const { text, count } = bindLastPull(query.replace(/[\s;]+$/, ""), "mysql");
    const values = new Array<Date>(count).fill(watermarkOf(params));
    const connection = await this.connect();
    const timeout = this.options.statementTimeoutMs;
    let fields: FieldPacket[];
    try {
      // LIMIT 0 describes the result's columns without reading a row.
      fields = await resultColumns(connection, `SELECT * FROM ${wrapQuery(text)} LIMIT 0`, values, timeout);
    } catch (error) {
      // A derived table may not repeat a column name, which a plain query may.
      if (errorCode(error) === "ER_DUP_FIELDNAME") return undefined;
      throw classifyMySqlError(error);
    }
    const matching = fields.filter((field) => field.name === column);
    const kind = matching.length === 1 ? keyKind(matching[0]!) : undefined;
    if (kind === undefined) return undefined;
    const runKeyQuery: KeyQuery = <T>(sql: string, bound: unknown[]) =>
      run<T>(connection, sql, bound, timeout).catch((error: unknown) => {
        throw classifyMySqlError(error);
      });
    return new MySqlKeyOrder(runKeyQuery, text, values, column, kind);
  }

  async *read(query: string, params: ReadParams, batchSize: number, order?: { order: KeyOrder; range: KeyRange }): AsyncIterable<Row[]> {
    const bound = bindLastPull(query, "mysql");
    const values: unknown[] = new Array(bound.count).fill(watermarkOf(params));
    let text = bound.text;
    if (order) {
      // Positions bind by the key's type, which only this source's key order knows.
      const key = order.order instanceof MySqlKeyOrder ? order.order : await this.keyOrder(query, params, order.order.column);
      if (!(key instanceof MySqlKeyOrder)) throw new SourceError("query_error", `the query's rows cannot be read in the order of ${order.order.column}`);
      const bind = (position: KeyPosition) => {
        values.push(key.bindable(position));
        return "?";
      };
      text = orderedSelect({ text, key: keyOf(key.column), range: order.range, bind, orderBy: (k) => `${k} IS NULL, ${k}` });
    }
    const connection = await this.connect();
    const stream = connection
      .query({ sql: text, values, timeout: this.options.statementTimeoutMs })
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
    const endpoint = this.endpoint;
    this.connection = undefined;
    this.endpoint = undefined;
    if (connection) {
      await new Promise<void>((resolve) => connection.end(() => resolve()));
      connection.destroy();
    }
    await endpoint?.close().catch(() => undefined);
  }
}
