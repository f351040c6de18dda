// Redis source (any Redis-protocol server: Redis, Valkey): the query names a SCAN MATCH pattern and
// how each value is read. Keys come from SCAN … COUNT batch_size, values are read per batch in one
// pipeline, so memory holds one batch of keys and values. A SCAN cursor is no key order, so the
// source has no keyOrder: a pull is a full read every time, and a continued run reads again from
// the start (the content-hash upsert keeps the stored result exact).
import { createClient, ErrorReply } from "redis";
import type { ConnectionConfig } from "../connectors/types.js";
import type { CatalogEntry, CheckResult, DiscoverOptions, ReadParams, Row, Source, SourceOptions } from "./contract.js";
import { openEndpoint, uriTarget, type Endpoint } from "./endpoint.js";
import { classifyNetworkError, MissingModuleError, SourceError, type SourceErrorType } from "./errors.js";
import { rejectedRow } from "./rejectedRow.js";
import { nodeTlsOptions, tlsMaterial } from "./tls.js";
import { parseRedisQuery, REDIS_KEY_COLUMN, type RedisValueKind } from "./redisQuery.js";

/** The client as createClient makes it without options of its own (RESP 3, the default modules). */
const newClient = (options: Parameters<typeof createClient>[0] & object) => createClient(options);
export type RedisClient = ReturnType<typeof newClient>;

export const DEFAULT_REDIS_PORT = 6379;

export function classifyRedisError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : "";
  // A server reply starts with its error code: WRONGPASS, NOAUTH, ERR, WRONGTYPE…
  const code = error instanceof ErrorReply ? /^[A-Z]+/.exec(message)?.[0] : undefined;
  let type: SourceErrorType;
  if (code === "WRONGPASS" || code === "NOAUTH" || /invalid (username-)?password|AUTH .*without any password/i.test(message)) type = "authentication_failed";
  else if (/DB index is out of range|invalid DB index/i.test(message)) type = "database_not_found";
  else if (error instanceof ErrorReply) type = "query_error";
  else if (/Timeout/i.test(name)) type = "timeout";
  else type = classifyNetworkError(error) ?? classifyNetworkError((error as { cause?: unknown })?.cause) ?? "query_error";
  return new SourceError(type, message, code, { cause: error });
}

/** `INFO` text ("# Server\r\nredis_version:7.2.4\r\n…") as fields. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** The server's name and version: Valkey reports valkey_version beside a redis_version kept for clients. */
export function serverVersion(info: Record<string, string>): string {
  if (info.valkey_version) return `Valkey ${info.valkey_version}`;
  return `Redis ${info.redis_version ?? "(unknown version)"}`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The row of one key: its value's fields, and the key itself under _key (which wins over a field of that name). */
function rowOf(key: string, fields: Record<string, unknown>): Row {
  const row: Row = { [REDIS_KEY_COLUMN]: key };
  for (const [field, value] of Object.entries(fields)) if (field !== REDIS_KEY_COLUMN) row[field] = value;
  return row;
}

/** A value that must be a JSON object; anything else is a rejected row naming the key. */
function jsonRow(key: string, text: string | null, parse: boolean): Row | undefined {
  if (text === null) return undefined; // deleted between SCAN and GET
  let value: unknown = text;
  if (parse) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return rejectedRow(`key ${JSON.stringify(key)}: the value is not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(value)) return rejectedRow(`key ${JSON.stringify(key)}: the value is JSON but not an object, which a record needs`);
  return rowOf(key, value);
}

/** One key's value as a row; undefined when the key is gone. A WRONGTYPE reply is a rejected row. */
async function readValue(client: RedisClient, kind: RedisValueKind, key: string): Promise<Row | undefined> {
  try {
    if (kind === "hash") {
      const fields = await client.hGetAll(key);
      return Object.keys(fields).length === 0 ? undefined : rowOf(key, fields);
    }
    if (kind === "json_string") return jsonRow(key, await client.get(key), true);
    const document = await client.json.get(key);
    return document === null ? undefined : jsonRow(key, document as unknown as string, false);
  } catch (error) {
    if (error instanceof ErrorReply && error.message.startsWith("WRONGTYPE")) {
      return rejectedRow(`key ${JSON.stringify(key)} holds another type than ${kind === "hash" ? "a hash" : kind === "rejson" ? "a RedisJSON document" : "a string"}`);
    }
    if (error instanceof ErrorReply && /unknown command/i.test(error.message) && kind === "rejson") {
      throw new MissingModuleError(
        "ReJSON",
        `the server has no RedisJSON module (${error.message}); load it, or store JSON as strings and read them with "value": "json_string"`,
        { cause: error },
      );
    }
    throw error;
  }
}

interface RedisSettings {
  host: string;
  port: number;
  username?: string;
  password?: string;
  database?: number;
  tls: boolean;
}

/** The connection as discrete settings; a url is taken apart here, so the driver connects where the guard checked. */
export function redisSettings(config: ConnectionConfig): RedisSettings {
  // A CA or a client certificate only makes sense over TLS; `tls: false` still turns it off.
  const material = tlsMaterial(config);
  const tls = config.tls === true || (config.tls === undefined && (material.ca !== undefined || material.cert !== undefined));
  if (typeof config.url !== "string") {
    return {
      host: config.host as string,
      port: (config.port as number | undefined) ?? DEFAULT_REDIS_PORT,
      ...(typeof config.username === "string" ? { username: config.username } : {}),
      ...(typeof config.password === "string" ? { password: config.password } : {}),
      ...(typeof config.database === "number" ? { database: config.database } : {}),
      tls,
    };
  }
  const { host, port } = uriTarget(config.url, DEFAULT_REDIS_PORT);
  const url = new URL(config.url);
  const database = /^\/(\d+)/.exec(url.pathname)?.[1];
  return {
    host,
    port,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(database !== undefined ? { database: Number(database) } : {}),
    tls: tls || url.protocol === "rediss:",
  };
}

/** The reply, or undefined where the user's ACL does not permit the command (NOPERM). */
async function permitted<T>(reply: Promise<T>): Promise<T | undefined> {
  try {
    return await reply;
  } catch (error) {
    if (error instanceof ErrorReply && error.message.startsWith("NOPERM")) return undefined;
    throw error;
  }
}

export class RedisSource implements Source {
  private client: RedisClient | undefined;
  private endpoint: Endpoint | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SourceOptions,
  ) {}

  private get database(): number {
    return redisSettings(this.config).database ?? 0;
  }

  private async connect(): Promise<RedisClient> {
    if (this.client) return this.client;
    const settings = redisSettings(this.config);
    // The network guard's checked address (endpoint.ts); TLS still names the host the user gave.
    const endpoint = (this.endpoint ??= await openEndpoint(this.config, { host: settings.host, port: settings.port }, this.options.connectTimeoutMs));
    const client = newClient({
      socket: {
        host: endpoint.address,
        port: endpoint.port,
        connectTimeout: this.options.connectTimeoutMs,
        // A pull opens its own connection and fails on a lost one; the runner decides about retries.
        reconnectStrategy: false,
        ...(settings.tls ? { tls: true as const, ...nodeTlsOptions("verify-full", tlsMaterial(this.config), endpoint.host) } : {}),
      },
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(settings.database !== undefined ? { database: settings.database } : {}),
      disableOfflineQueue: true,
      commandOptions: { timeout: this.options.statementTimeoutMs },
    });
    // A dropped connection must not crash the process; the pending command reports it.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw endpoint.explain(classifyRedisError(error));
    }
    this.client = client;
    return client;
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    try {
      const client = await this.connect();
      // A reader's ACL may well refuse INFO (@dangerous) and TIME: the test then says less, and passes.
      const server = await permitted(client.info("server").then(parseInfo));
      const keyspace = (await permitted(client.info("keyspace").then(parseInfo))) ?? {};
      const keys = await client.dbSize();
      const time = await permitted(client.time());
      const databases = new Set([...Object.keys(keyspace).filter((name) => /^db\d+$/.test(name)), `db${this.database}`]);
      const version = server ? `${serverVersion(server)} (${server.redis_mode ?? "standalone"})` : "Redis-protocol server (INFO not permitted)";
      return {
        latencyMs: Math.round(performance.now() - started),
        version: `${version}, ${keys} keys in db${this.database}`,
        ...(time ? { serverTime: new Date(Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000)).toISOString() } : {}),
        schemas: [...databases].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2))),
      };
    } catch (error) {
      throw classifyRedisError(error);
    }
  }

  async discover(options: DiscoverOptions = {}): Promise<CatalogEntry[]> {
    const { discoverRedis } = await import("./redisCatalog.js");
    try {
      return await discoverRedis(await this.connect(), `db${this.database}`, options.sampleSize);
    } catch (error) {
      throw classifyRedisError(error);
    }
  }

  /** `params` is ignored: the query cannot hold :last_pull (see redisQuery.ts), every pull reads every key. */
  async *read(query: string, _params: ReadParams, batchSize: number): AsyncIterable<Row[]> {
    const { match, value } = parseRedisQuery(query);
    const client = await this.connect();
    let cursor = "0";
    const keys: string[] = [];
    try {
      do {
        const reply = await client.scan(cursor, { MATCH: match, COUNT: batchSize });
        cursor = String(reply.cursor);
        keys.push(...reply.keys);
        // Full batches while the scan goes on, the rest at its end. A key SCAN returns twice (the
        // table was resized meanwhile) is read twice and counted twice; the store keeps one record.
        while (keys.length >= batchSize || (cursor === "0" && keys.length > 0)) {
          const batch = keys.splice(0, batchSize);
          // Issued together, the reads go out as one pipeline.
          const rows = await Promise.all(batch.map((key) => readValue(client, value, key)));
          const found = rows.filter((row): row is Row => row !== undefined);
          if (found.length > 0) yield found;
        }
      } while (cursor !== "0");
    } catch (error) {
      throw classifyRedisError(error);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    const endpoint = this.endpoint;
    this.client = undefined;
    this.endpoint = undefined;
    await client?.close().catch(() => client.destroy());
    await endpoint?.close().catch(() => undefined);
  }
}
