// Opens the Source for a connector type. Drivers are imported on first use, so a bundle or a
// process pays only for the types it actually talks to.
import { NoConnectionError } from "../connectors/errors.js";
import type { ConnectionConfig, ConnectorType } from "../connectors/types.js";
import type { Source, SourceOptions } from "./contract.js";

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
export const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 300;

export function sourceOptions(config: ConnectionConfig): SourceOptions {
  const seconds = (value: unknown, fallback: number) => (typeof value === "number" && value > 0 ? value : fallback);
  return {
    connectTimeoutMs: seconds(config.connection_timeout_seconds, DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000,
    statementTimeoutMs: seconds(config.statement_timeout_seconds, DEFAULT_STATEMENT_TIMEOUT_SECONDS) * 1000,
    ...(typeof config.idle_timeout_seconds === "number" && config.idle_timeout_seconds > 0 ? { idleTimeoutMs: config.idle_timeout_seconds * 1000 } : {}),
  };
}

/** `context.query`, where a caller has the connector's query, lets a REST test or discovery use its path. */
export async function openSource(type: ConnectorType, config: ConnectionConfig, context: { query?: string | null } = {}): Promise<Source> {
  const options = sourceOptions(config);
  switch (type) {
    case "postgresql":
      return new (await import("./postgres.js")).PostgresSource(config, options);
    case "mysql":
      return new (await import("./mysql.js")).MySqlSource(config, options);
    case "mongodb":
      return new (await import("./mongodb.js")).MongoSource(config, options);
    case "neo4j":
      return new (await import("./neo4j.js")).Neo4jSource(config, options);
    case "rest_api":
      return new (await import("./restApi.js")).RestApiSource(config, context);
    case "redis":
      return new (await import("./redis.js")).RedisSource(config, options);
    case "redshift":
      return new (await import("./redshift.js")).RedshiftSource(config, options);
    case "dbt":
      throw new NoConnectionError("open");
  }
}
