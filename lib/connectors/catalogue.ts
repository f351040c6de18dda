// The connector-types catalogue (GET /connector-types): what can be created, with each type's
// config JSON Schema generated from the same zod schemas that validate requests.
import { z } from "zod";
import { connectionConfigSchemas } from "./schemas.js";
import { connectorTypes, type ConnectorType } from "./types.js";

interface TypeInfo {
  name: string;
  description: string;
  features: string[];
}

const info: Record<ConnectorType, TypeInfo> = {
  postgresql: {
    name: "PostgreSQL",
    description: "PostgreSQL database, read through a server-side cursor",
    features: ["sql_query", "incremental_pull", "server_side_cursor", "catalog_discovery"],
  },
  mysql: {
    name: "MySQL / MariaDB",
    description: "MySQL or MariaDB database, read as a streaming query",
    features: ["sql_query", "incremental_pull", "streaming", "catalog_discovery"],
  },
  mongodb: {
    name: "MongoDB",
    description: "MongoDB collection, filtered by a JSON filter document",
    features: ["filter_query", "incremental_pull", "cursor_batches", "catalog_discovery"],
  },
  neo4j: {
    name: "Neo4j",
    description: "Neo4j graph database (Bolt), queried with Cypher",
    features: ["cypher_query", "incremental_pull", "streaming", "catalog_discovery"],
  },
};

export interface ConnectorTypeEntry extends TypeInfo {
  type: ConnectorType;
  category: "database";
  auth_type: "credentials";
  config_schema: unknown;
}

let cached: ConnectorTypeEntry[] | undefined;

export function connectorTypeCatalogue(): ConnectorTypeEntry[] {
  cached ??= connectorTypes.map((type) => ({
    type,
    ...info[type],
    category: "database",
    auth_type: "credentials",
    config_schema: z.toJSONSchema(connectionConfigSchemas[type], { io: "input" }),
  }));
  return cached;
}
