// Starts the real local service (dynalite on a temp data dir, HTTP on 127.0.0.1:0) and records
// every log line and response body, so tests can prove no secret ever left.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Fernet } from "../../lib/crypto/fernet.js";
import { startLocalService, type LocalService } from "../../lib/local/server.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { checkContract } from "./contract.js";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface Harness {
  url: string;
  ownerKey: string;
  service: LocalService;
  dataDir: string;
  logs: string[];
  responses: string[];
  request<T = any>(method: string, path: string, options?: { key?: string | null; body?: unknown; raw?: string; contentType?: string }): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-test-"));
  const logs: string[] = [];
  const responses: string[] = [];
  const config = loadConfig("local", {
    SLUICE_DATA_DIR: dataDir,
    PORT: "0",
    CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(),
    LOG_LEVEL: "debug",
    // The suites send bursts past the default limits (polling, fuzzing); rateLimits.test.ts sets its own.
    RATE_LIMIT_PER_SECOND: "100000", RATE_LIMIT_BURST: "100000",
    WEBHOOK_RATE_LIMIT_PER_SECOND: "100000", WEBHOOK_RATE_LIMIT_BURST: "100000",
    STREAM_RATE_LIMIT_PER_MINUTE: "1000000", STREAM_RATE_LIMIT_BURST: "100000",
    ...env,
  });
  const service = await startLocalService(config, createLogger("debug", (line) => logs.push(line)));
  if (!service.bootstrapKey) throw new Error("a fresh data dir must bootstrap an owner key");
  const ownerKey = service.bootstrapKey;
  const request: Harness["request"] = async (method, route, options = {}) => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? ownerKey : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const response = await fetch(service.url + route, { method, headers, body });
    const text = await response.text();
    responses.push(text);
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    // Every response is checked against the OpenAPI document: a shape it does not describe fails the test.
    checkContract(method, route, response.status, response.headers, parsed, text);
    return { status: response.status, body: parsed as never, text, headers: response.headers };
  };
  return {
    url: service.url,
    ownerKey,
    service,
    dataDir,
    logs,
    responses,
    request,
    close: async () => {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Seed bodies from the QANATIX and Querri documents, with secrets the tests look for. */
export const secrets = {
  pgDsnPassword: "pg-dsn-S3cret!",
  mysqlPassword: "mysql-S3cret-pw",
  mongoPassword: "mongo-S3cret-pw",
  neo4jPassword: "neo4j-S3cret-pw",
  querriPassword: "secure_password_123",
  replacedPassword: "brand-new-S3cret",
  webhookSecret: "whsec-env-S3cret-0123456789",
  tenantWebhookSecret: "whsec-tenant-S3cret-9876543210",
};

export const seeds = {
  postgres: {
    name: "Production Postgres",
    connector_type: "postgresql",
    collection: "manufacturing",
    record_type: "product",
    connection_config: { dsn: `postgresql://user:${secrets.pgDsnPassword}@db.internal:5432/products` },
    query: "SELECT id, name, sku, price, stock FROM products WHERE updated_at > :last_pull",
    name_column: "name",
    batch_size: 5000,
  },
  mysql: {
    name: "Catalog MySQL",
    connector_type: "mysql",
    collection: "catalog",
    record_type: "item",
    connection_config: { host: "mysql.internal", port: 3306, user: "qanatix", password: secrets.mysqlPassword, database: "catalog" },
    query: "SELECT * FROM items LIMIT 10000",
  },
  mongodb: {
    name: "Mongo catalog",
    connector_type: "mongodb",
    collection: "products",
    record_type: "catalog",
    connection_config: { uri: `mongodb://user:${secrets.mongoPassword}@mongo.internal:27017`, database: "products", collection: "catalog" },
    query: '{"status": "active"}',
  },
  neo4j: {
    name: "Supplier graph",
    connector_type: "neo4j",
    collection: "graph",
    record_type: "product",
    connection_config: { uri: "bolt://neo4j.internal:7687", user: "neo4j", password: secrets.neo4jPassword, database: "neo4j" },
    query: "MATCH (p:Product)-[:MADE_BY]->(s:Supplier) RETURN p.name AS name, p.sku AS sku, s.name AS supplier",
  },
  querriPostgres: {
    name: "Production Database",
    connector_type: "postgresql",
    collection: "production",
    record_type: "table_row",
    connection_config: {
      host: "db.example.com",
      port: 5432,
      database: "production",
      username: "querri_user",
      password: secrets.querriPassword,
      ssl_enabled: true,
      ssl_mode: "require",
    },
    schedule: "0 2 * * *",
    timezone: "Europe/Berlin",
  },
};
