// The connector-types catalogue (GET /connector-types): what can be created, with each type's
// config JSON Schema generated from the same zod schemas that validate requests, and the
// other names (Querri's, Qarion's) a body may use for fields and types.
import { z } from "zod";
import { typeAliases } from "./aliases.js";
import { connectionConfigSchemas } from "./schemas.js";
import { connectorTypes, type ConnectorType } from "./types.js";

interface TypeInfo {
  name: string;
  description: string;
  features: string[];
  category: "database" | "api" | "transformation";
  auth_type: "credentials" | "none";
}

const database = { category: "database", auth_type: "credentials" } as const;

const info: Record<ConnectorType, TypeInfo> = {
  postgresql: {
    ...database,
    name: "PostgreSQL",
    description: "PostgreSQL database, read through a server-side cursor",
    features: ["sql_query", "incremental_pull", "server_side_cursor", "catalog_discovery"],
  },
  mysql: {
    ...database,
    name: "MySQL / MariaDB",
    description: "MySQL or MariaDB database, read as a streaming query",
    features: ["sql_query", "incremental_pull", "streaming", "catalog_discovery"],
  },
  mongodb: {
    ...database,
    name: "MongoDB",
    description: "MongoDB collection, filtered by a JSON filter document",
    features: ["filter_query", "incremental_pull", "cursor_batches", "catalog_discovery"],
  },
  neo4j: {
    ...database,
    name: "Neo4j",
    description: "Neo4j graph database (Bolt), queried with Cypher",
    features: ["cypher_query", "incremental_pull", "streaming", "catalog_discovery"],
  },
  redis: {
    ...database,
    name: "Redis / Valkey",
    description: "Redis-protocol key-value store: the keys a SCAN MATCH pattern finds, read as hashes, JSON strings or RedisJSON documents; every pull is a full read, deduplicated by content hash",
    features: ["key_pattern_query", "full_pull", "scan_batches", "catalog_discovery"],
  },
  redshift: {
    ...database,
    name: "Amazon Redshift",
    description: "Amazon Redshift, over the PostgreSQL protocol (port 5439, TLS required by default); tested against PostgreSQL",
    features: ["sql_query", "incremental_pull", "server_side_cursor", "catalog_discovery"],
  },
  rest_api: {
    name: "REST API",
    description: "Any JSON HTTP API, read page by page (links, cursors, offsets, page numbers) as in dlt's rest_api source",
    features: ["json_query", "incremental_pull", "pagination", "catalog_discovery"],
    category: "api",
    auth_type: "credentials",
  },
  dbt: {
    name: "dbt Core / dbt Cloud",
    description: "dbt project: no connection; models, sources, seeds and snapshots come from uploaded manifest.json files",
    features: ["dbt_manifest"],
    category: "transformation",
    auth_type: "none",
  },
};

export interface ConnectorTypeEntry extends TypeInfo {
  type: ConnectorType;
  /** Other names a body may give the type (`postgres`). */
  aliases: string[];
  config_schema: unknown;
}

let cached: ConnectorTypeEntry[] | undefined;

export function connectorTypeCatalogue(): ConnectorTypeEntry[] {
  cached ??= connectorTypes.map((type) => ({
    type,
    ...info[type],
    aliases: Object.keys(typeAliases).filter((alias) => typeAliases[alias] === type),
    config_schema: z.toJSONSchema(connectionConfigSchemas[type], { io: "input" }),
  }));
  return cached;
}
