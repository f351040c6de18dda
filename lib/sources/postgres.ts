// PostgreSQL source: `pg` with a server-side cursor (DECLARE … FETCH), so a result of any size
// is read batch by batch; `:last_pull` is bound as $n.
import pg from "pg";
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
import { orderedSelect, splitIntegers, sqlPosition, WRAPPED, wrapQuery } from "./keyOrder.js";
import { bindLastPull } from "./lastPull.js";
import { PostgresCtidOrder, queryPlan, type CtidStatement } from "./postgresCtid.js";
import { openEndpoint, type Endpoint } from "./endpoint.js";
import { dsnSslMode, dsnTarget, endClient } from "./postgresConnection.js";
import { connectWithTls, effectiveSslMode, nodeTlsOptions, tlsMaterial } from "./tls.js";

// int8 arrives as text; keep it a number when that is exact, a string otherwise.
const INT8_OID = 20;
const parseInt8 = (value: string) => {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
};
// timestamptz, read in a UTC session ("2026-11-22 10:00:00.123456+00"), becomes the ISO text
// the normaliser would make of it ("2026-11-22T10:00:00.123Z") without a Date in between.
// Anything else (BC, infinity, an offset) goes through pg's own parser.
const TIMESTAMPTZ_OID = 1184;
const defaultTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, "text");
export const parseTimestamptz = (value: string): unknown => {
  const length = value.length;
  if (length < 22 || value.charCodeAt(10) !== 32 || !value.endsWith("+00") || value.charCodeAt(4) !== 45) {
    return defaultTimestamptz(value);
  }
  const fraction = value.charCodeAt(19) === 46 ? value.slice(20, length - 3) : "";
  return `${value.slice(0, 10)}T${value.slice(11, 19)}.${(fraction + "000").slice(0, 3)}Z`;
};
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format === "binary") return pg.types.getTypeParser(oid, format);
    if (oid === INT8_OID) return parseInt8;
    if (oid === TIMESTAMPTZ_OID) return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

type SslSetting = pg.ClientConfig["ssl"];

// Key types whose parsed value binds back to the same key: int2, int4, int8, oid and numeric
// (which split by min and max), then text, varchar, bpchar, name and uuid. Timestamps, dates and
// floats are left out: their JS values are rounded or shifted, so a resume would skip or repeat rows.
const INTEGER_KEYS = new Set([21, 23, INT8_OID, 26, 1700]);
const KEY_TYPES = new Set([...INTEGER_KEYS, 25, 1043, 1042, 19, 2950]);

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const keyOf = (column: string) => `${WRAPPED}.${quoteIdent(column)}`;

type RunReadOnly = (text: string, values: unknown[]) => Promise<pg.QueryResult>;

class PostgresKeyOrder implements KeyOrder {
  constructor(
    private readonly run: RunReadOnly,
    private readonly text: string,
    private readonly values: unknown[],
    readonly column: string,
    private readonly integer: boolean,
  ) {}

  positionOf(row: Row): KeyPosition {
    const key = row[this.column];
    return typeof key === "number" || typeof key === "string" ? key : null;
  }

  async split(parts: number): Promise<KeyRange[]> {
    if (!this.integer || parts <= 1) return [{}];
    const key = keyOf(this.column);
    const { rows } = await this.run(`SELECT min(${key}) AS lo, max(${key}) AS hi FROM ${wrapQuery(this.text)}`, this.values);
    // numeric keys of scale > 0 come back as decimal text that is no integer: one range.
    return splitIntegers(rows[0]?.lo, rows[0]?.hi, parts);
  }

  async estimate(): Promise<number | undefined> {
    const plan = await queryPlan(this.run, this.text, this.values);
    return typeof plan?.["Plan Rows"] === "number" ? plan["Plan Rows"] : undefined;
  }
}

export function classifyPostgresError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  let type: SourceErrorType;
  // 28000 also answers a connection without the TLS (or the client certificate) pg_hba asks for.
  if (code === "28000" && /certificate|SSL off|no encryption/i.test(message)) type = "ssl_error";
  else if (code === "28P01" || code === "28000") type = "authentication_failed";
  else if (code === "3D000") type = "database_not_found";
  else if (code === "57014") type = "timeout"; // statement_timeout
  else if (sqlState) type = "query_error";
  else type = classifyNetworkError(error) ?? "query_error";
  return new SourceError(type, message, code, { cause: error });
}

export class PostgresSource implements Source {
  private client: pg.Client | undefined;
  private endpoint: Endpoint | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private clientConfig(ssl: SslSetting, endpoint: Endpoint, dsn: URL | undefined): pg.ClientConfig {
    const c = this.config;
    const base: pg.ClientConfig = {
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      // Enforced by the server. Not pg's client-side query_timeout: its timer is never cleared
      // for a cursor, and would hold the client (and the process) long after the pull.
      statement_timeout: this.options.statementTimeoutMs,
      // Enforced by the server (9.6+): a session left idle inside a transaction (a cursor held open
      // between batches) is closed after idle_timeout_seconds.
      ...(this.options.idleTimeoutMs ? { idle_in_transaction_session_timeout: this.options.idleTimeoutMs } : {}),
      application_name: "sluice",
      types,
    };
    if (ssl !== undefined) base.ssl = ssl;
    if (dsn) {
      // The DSN's host becomes the checked address (or the tunnel); everything else stays as given.
      const pinned = new URL(dsn);
      pinned.searchParams.delete("host");
      pinned.searchParams.delete("port");
      // A socket directory (host=/var/run/postgresql) can only be given as the parameter.
      if (endpoint.address.startsWith("/")) pinned.searchParams.set("host", endpoint.address);
      else pinned.hostname = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
      pinned.port = String(endpoint.port);
      return { ...base, connectionString: pinned.toString() };
    }
    return {
      ...base,
      host: endpoint.address,
      port: endpoint.port,
      database: c.database as string,
      user: (c.username ?? c.user) as string,
      password: c.password as string | undefined,
    };
  }

  /** Opens the connection on first use; subclasses (Redshift) query through it too. */
  protected async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = this.config;
    const dsn = typeof c.dsn === "string" ? new URL(c.dsn) : undefined;
    const mode = effectiveSslMode(c, dsn ? dsnSslMode(dsn) : undefined);
    const target = dsn ? dsnTarget(dsn) : { host: c.host as string, port: (c.port as number | undefined) ?? 5432 };
    const endpoint = (this.endpoint ??= await openEndpoint(c, target, this.options.connectTimeoutMs));
    const material = tlsMaterial(c);
    this.client = await connectWithTls(
      mode,
      async (tls) => {
        const client = new pg.Client(this.clientConfig(nodeTlsOptions(tls, material, endpoint.host), endpoint, dsn));
        // A dropped connection must not crash the process; the pending query reports it.
        client.on("error", () => undefined);
        try {
          await client.connect();
          // Timestamps are read in UTC, the form parseTimestamptz turns into ISO text directly.
          await client.query("SET TIME ZONE 'UTC'");
          return client;
        } catch (error) {
          await endClient(client);
          throw error;
        }
      },
      (error) => endpoint.explain(classifyPostgresError(error)),
    );
    return this.client;
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    try {
      const client = await this.connect();
      const info = await client.query<{ version: string; now: Date }>("SELECT version() AS version, now() AS now");
      const schemas = await client.query<{ name: string }>(
        `SELECT schema_name AS name FROM information_schema.schemata
         WHERE schema_name NOT IN ('pg_catalog', 'information_schema') AND schema_name NOT LIKE 'pg\\_%' ORDER BY 1`,
      );
      const row = info.rows[0]!;
      return {
        latencyMs: Math.round(performance.now() - started),
        version: row.version.split(" on ")[0] ?? row.version,
        serverTime: new Date(row.now).toISOString(),
        schemas: schemas.rows.map((s) => s.name),
      };
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }

  async discover(): Promise<CatalogEntry[]> {
    const { discoverPostgres } = await import("./postgresCatalog.js");
    try {
      return await discoverPostgres(await this.connect());
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }

  /** One statement in a read-only transaction: the queries around a pull can never write either. */
  private readonly runReadOnly: RunReadOnly = async (text, values) => {
    const client = await this.connect();
    try {
      await client.query("BEGIN READ ONLY");
      return await client.query({ text, values });
    } catch (error) {
      throw classifyPostgresError(error);
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
    }
  };

  async keyOrder(query: string, params: ReadParams, column: string): Promise<KeyOrder | undefined> {
    const { text, count } = bindLastPull(query.replace(/[\s;]+$/, ""), "postgres");
    const values = new Array<Date>(count).fill(watermarkOf(params));
    // LIMIT 0 plans the query and describes its columns without reading a row.
    const { fields } = await this.runReadOnly(`SELECT * FROM ${wrapQuery(text)} LIMIT 0`, values);
    const matching = fields.filter((field) => field.name === column);
    // Two result columns of that name could not be told apart by sluice_q."column". Without a
    // usable key, a plain read of one table can still go in ctid order.
    if (matching.length !== 1 || !KEY_TYPES.has(matching[0]!.dataTypeID)) {
      return PostgresCtidOrder.open(this.runReadOnly, text, values, fields.map((field) => field.name));
    }
    return new PostgresKeyOrder(this.runReadOnly, text, values, column, INTEGER_KEYS.has(matching[0]!.dataTypeID));
  }

  async *read(query: string, params: ReadParams, batchSize: number, order?: { order: KeyOrder; range: KeyRange }): AsyncIterable<Row[]> {
    const bound = bindLastPull(query.replace(/[\s;]+$/, ""), "postgres");
    const values: unknown[] = new Array(bound.count).fill(watermarkOf(params));
    // Positions go in as untyped parameters, which PostgreSQL reads as the key's own type: an
    // int8 beyond 2^53, kept as text, still compares as a number.
    const bind = (position: KeyPosition) => `$${values.push(sqlPosition(position))}`;
    const ctid = order?.order instanceof PostgresCtidOrder ? order.order : undefined;
    const text = order && !ctid
      ? orderedSelect({ text: bound.text, key: keyOf(order.order.column), range: order.range, bind, orderBy: (key) => `${key} ASC NULLS LAST` })
      : bound.text;
    const client = await this.connect();
    // A server-side cursor in a read-only transaction: a pull can never write. The next FETCH
    // is sent before the current batch is handed on, so the server produces rows while this
    // process normalises and stores the previous ones.
    const fetchNext = () => {
      const next = client.query<Row>(`FETCH FORWARD ${batchSize} FROM sluice_pull`);
      next.catch(() => undefined); // awaited below; a consumer that stops early never does
      return next;
    };
    const classified = <T>(promise: Promise<T>) => promise.catch((error: unknown) => Promise.reject(classifyPostgresError(error)));
    let pending: Promise<pg.QueryResult<Row>> | undefined;
    try {
      // A ctid order reads its range in chunks of blocks, one cursor each (see postgresCtid.ts),
      // all in one snapshot: a row an UPDATE moves into a chunk already read is then still read
      // where it was, not missed (READ COMMITTED would take a new snapshot per cursor).
      await classified(client.query(ctid ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN READ ONLY"));
      const statements: Iterable<CtidStatement> = ctid
        ? await classified(ctid.statements(order!.range, values, batchSize, (sql, args) => client.query({ text: sql, values: args })))
        : [{ text, values }];
      for (const statement of statements) {
        await classified(client.query({ text: `DECLARE sluice_pull NO SCROLL CURSOR FOR ${statement.text}`, values: statement.values }));
        pending = fetchNext();
        for (;;) {
          const { rows } = await classified(pending);
          if (rows.length === 0) break;
          pending = fetchNext();
          yield ctid ? ctid.strip(rows) : rows;
        }
        pending = undefined;
        await classified(client.query("CLOSE sluice_pull"));
      }
    } finally {
      await pending?.catch(() => undefined);
      await client.query("ROLLBACK").catch(() => undefined); // also closes the cursor
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    const endpoint = this.endpoint;
    this.client = undefined;
    this.endpoint = undefined;
    if (client) await endClient(client);
    await endpoint?.close().catch(() => undefined);
  }
}
