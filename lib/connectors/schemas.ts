// Per-type zod schemas for connector bodies: the single source of truth for validation, the
// connector-types catalogue and the OpenAPI document.
import { isIPv6 } from "node:net";
import { z } from "zod";
import { validateCron } from "../schedule/cron.js";
import { isValidTimeZone } from "../schedule/timezone.js";
import { checkConnectivity, checkFileParameters, connectivityFields } from "./connectivitySchema.js";
import { missingPullTarget } from "./pullTarget.js";
import { checkRedisQuery, REDIS_KEY_COLUMN } from "../sources/redisQuery.js";
import { checkRestApiQuery, restApiConfigSchema } from "./restApiSchema.js";
import { DEFAULT_SPACE, spaceSchema } from "./spaces.js";
import type { ConnectorType, SourceType } from "./types.js";

const port = z.number().int().min(1).max(65535);
/** Querri's default for `max_connections`. */
export const DEFAULT_MAX_CONNECTIONS = 5;
export const MAX_PARALLELISM = 16;
// Querri's performance settings. Sluice keeps no pool: a connection lives for one pull, test or
// sync, so the idle timeout bounds how long the server keeps a connection that sits idle in it.
const timeouts = {
  connection_timeout_seconds: z.number().int().min(1).max(300).optional().describe("connect timeout (default 10)"),
  statement_timeout_seconds: z.number().int().min(1).max(86_400).optional().describe("per-statement timeout (default 300)"),
  idle_timeout_seconds: z.number().int().min(1).max(3_600).optional().describe("how long an open connection may sit idle before it is closed"),
  max_connections: z.number().int().min(1).max(64).optional().describe(`connections a pull may hold open at once; bounds parallelism (default ${DEFAULT_MAX_CONNECTIONS})`),
};
export const sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

type Ctx = z.core.$RefinementCtx;

/** Why one `host[:port]` or `[v6]:port` of a URI's authority is not one a driver can connect to, if it is not. */
function hostProblem(host: string): string | undefined {
  let name: string;
  let port: string | undefined;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close < 0) return "has an IPv6 host whose [ is not closed by ]";
    name = host.slice(1, close);
    const after = host.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return "has something other than :port after its [IPv6] host";
    if (!isIPv6(name.replace(/%.*$/, ""))) return "has a [host] that is not an IPv6 address";
    port = after === "" ? undefined : after.slice(1);
  } else {
    const colon = host.indexOf(":");
    name = colon < 0 ? host : host.slice(0, colon);
    port = colon < 0 ? undefined : host.slice(colon + 1);
    if (name === "") return "has an empty host";
    if (/[[\]\s]/.test(name)) return "has a host with a space or a bracket in it";
  }
  if (port === undefined) return undefined;
  const value = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  // The port is not echoed: in a URI without '@' the "port" may be a password.
  return value >= 1 && value <= 65535 ? undefined : "has a port that is not a number from 1 to 65535";
}

function checkUri(value: string | undefined, field: string, schemes: readonly string[], ctx: Ctx): void {
  if (value === undefined) return;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (!scheme || !schemes.includes(scheme)) {
    ctx.addIssue({ code: "custom", path: [field], message: `${field} must start with ${schemes.map((s) => s + "://").join(" or ")}` });
    return;
  }
  const rest = value.slice(scheme.length + 3);
  const authority = rest.slice(rest.lastIndexOf("@") + 1).split(/[/?#]/)[0] ?? "";
  if (authority === "") {
    ctx.addIssue({ code: "custom", path: [field], message: `${field} has no host` });
    return;
  }
  // Only MongoDB takes several hosts (a replica set's seed list); an SRV name takes no port.
  const hosts = scheme === "mongodb" ? authority.split(",") : [authority];
  const problem = hosts.map(hostProblem).find(Boolean) ?? (scheme === "mongodb+srv" && /:\d*$/.test(authority) ? "has a port, which a mongodb+srv:// URI cannot have" : undefined);
  if (problem) ctx.addIssue({ code: "custom", path: [field], message: `${field} ${problem}` });
  checkFileParameters(value, field, ctx);
}

function requireFields(cfg: Record<string, unknown>, fields: string[], ctx: Ctx, hint: string): void {
  for (const field of fields) {
    const names = field.split("|");
    if (names.every((name) => cfg[name] === undefined)) {
      ctx.addIssue({ code: "custom", path: [names[0]!], message: `${names.join(" or ")} is required ${hint}` });
    }
  }
}

/** PostgreSQL and MySQL: a DSN, or discrete fields as in the Querri document. */
function sqlConfig(schemes: readonly string[], extra: Record<string, z.ZodType>) {
  return z
    .strictObject({
      dsn: z.string().min(1).optional().describe(`${schemes[0]}://user:password@host:port/database`),
      host: z.string().min(1).optional(),
      port: port.optional(),
      database: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      ssl_mode: z.enum(sslModes).optional(),
      ssl_enabled: z.boolean().optional(),
      ...connectivityFields,
      ...timeouts,
      ...extra,
    })
    .superRefine((cfg, ctx) => {
      checkConnectivity(cfg, ctx);
      if (cfg.dsn !== undefined) {
        checkUri(cfg.dsn, "dsn", schemes, ctx);
        const mixed = (["host", "port", "database", "username", "user", "password"] as const).find((k) => cfg[k] !== undefined);
        if (mixed) ctx.addIssue({ code: "custom", path: [mixed], message: "use either dsn or discrete host/port/database/user fields, not both" });
      } else {
        // No user is required: a catalog-only connector may get its credentials later (PATCH).
        requireFields(cfg, ["host", "database"], ctx, "when no dsn is given");
      }
      if (cfg.username !== undefined && cfg.user !== undefined) {
        ctx.addIssue({ code: "custom", path: ["user"], message: "give username or user, not both" });
      }
    });
}

const mongoConfig = z
  .strictObject({
    uri: z.string().min(1).optional().describe("mongodb://user:password@host:27017 or mongodb+srv://…"),
    connection_string: z.string().min(1).optional().describe("alias of uri"),
    database: z.string().min(1),
    collection: z.string().min(1).optional(),
    auth_source: z.string().min(1).optional(),
    replica_set: z.string().min(1).optional(),
    read_preference: z.enum(["primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"]).optional(),
    tls: z.boolean().optional(),
    ssl_mode: z.enum(sslModes).optional(),
    ...connectivityFields,
    ...timeouts,
  })
  .superRefine((cfg, ctx) => {
    checkConnectivity(cfg, ctx);
    const uri = cfg.uri ?? cfg.connection_string;
    // A tunnel forwards to one host; a seed list or an SRV name names several.
    if (cfg.ssh_tunnel && uri && (/^mongodb\+srv:/i.test(uri) || /^[^/?]*,/.test(uri.slice(uri.indexOf("://") + 3)))) {
      ctx.addIssue({ code: "custom", path: ["ssh_tunnel"], message: "an ssh_tunnel reaches one host: give a mongodb:// URI with a single host" });
    }
    if (cfg.uri !== undefined && cfg.connection_string !== undefined) {
      ctx.addIssue({ code: "custom", path: ["connection_string"], message: "give uri or connection_string, not both" });
    }
    requireFields(cfg, ["uri|connection_string"], ctx, "");
    checkUri(cfg.uri, "uri", ["mongodb", "mongodb+srv"], ctx);
    checkUri(cfg.connection_string, "connection_string", ["mongodb", "mongodb+srv"], ctx);
  });

const neo4jConfig = z
  .strictObject({
    uri: z.string().min(1).describe("bolt://host:7687 or neo4j://, neo4j+s://, bolt+s://"),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    database: z.string().min(1).optional(),
    ssl_mode: z.enum(sslModes).optional().describe("overrides the URI's +s / +ssc"),
    ...connectivityFields,
    ...timeouts,
  })
  .superRefine((cfg, ctx) => {
    checkConnectivity(cfg, ctx);
    checkUri(cfg.uri, "uri", ["bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"], ctx);
    if ((cfg.user === undefined) !== (cfg.password === undefined)) {
      ctx.addIssue({ code: "custom", path: [cfg.user === undefined ? "user" : "password"], message: "user and password go together (omit both for no auth)" });
    }
  });

// Redis (or Valkey): a redis:// or rediss:// URL, or discrete fields; `database` is the index SELECT takes.
const redisConfig = z
  .strictObject({
    url: z.string().min(1).optional().describe("redis://[username:password@]host:6379[/database], or rediss:// for TLS"),
    host: z.string().min(1).optional(),
    port: port.optional().describe("default 6379"),
    username: z.string().min(1).optional().describe("an ACL user (default: the default user)"),
    password: z.string().optional(),
    database: z.number().int().min(0).max(100_000).optional().describe("database index (default 0)"),
    tls: z.boolean().optional().describe("TLS, verifying the server's certificate (also on with rediss:// or an ssl_* field)"),
    ...connectivityFields,
    ...timeouts,
  })
  .superRefine((cfg, ctx) => {
    checkConnectivity(cfg, ctx);
    if (cfg.url !== undefined) {
      checkUri(cfg.url, "url", ["redis", "rediss"], ctx);
      const mixed = (["host", "port", "username", "password", "database"] as const).find((k) => cfg[k] !== undefined);
      if (mixed) ctx.addIssue({ code: "custom", path: [mixed], message: "use either url or discrete host/port/username/password/database fields, not both" });
    } else {
      requireFields(cfg, ["host"], ctx, "when no url is given");
    }
  });

// A dbt project has no connection; its config only describes it (the Qarion dbt body).
const dbtConfig = z.strictObject({
  project_name: z.string().min(1).max(200).optional().describe("the dbt project's name"),
  dbt_cloud_url: z.string().url().optional().describe("where the project lives, for people reading the catalog"),
});

export const connectionConfigSchemas = {
  postgresql: sqlConfig(["postgresql", "postgres"], {}),
  mysql: sqlConfig(["mysql", "mariadb"], { charset: z.string().min(1).optional() }),
  mongodb: mongoConfig,
  neo4j: neo4jConfig,
  rest_api: restApiConfigSchema,
  redis: redisConfig,
  // The same fields as PostgreSQL's; the source supplies Redshift's port and TLS defaults.
  redshift: sqlConfig(["postgresql", "postgres"], {}).describe("PostgreSQL's fields; port defaults to 5439 and ssl_mode to require"),
  dbt: dbtConfig,
} satisfies Record<ConnectorType, z.ZodType>;

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "use 1-128 characters of letters, digits, _ . and -, starting with a letter or digit");

/** Fields every connector has, whatever its type. */
const sharedFields = {
  name: z.string().trim().min(1).max(200),
  space: spaceSchema.default(DEFAULT_SPACE),
  source_system_id: identifier.nullable().optional().describe("Qarion's linked source system, kept as given"),
  description: z.string().max(2000).nullable().optional(),
};

function settingsFields(type: SourceType) {
  return {
    ...sharedFields,
    connector_type: z.literal(type),
    // Optional: a catalog-only connector (metadata sync, tests, health) pulls nothing.
    collection: identifier.nullable().optional(),
    record_type: identifier.nullable().optional(),
    connection_config: connectionConfigSchemas[type],
    query: z.string().min(1).max(100_000).nullable().optional(),
    name_column: z.string().min(1).max(128).default("name"),
    // A redis row's source_id is its key unless id_column names a field of the value.
    id_column: z.string().min(1).max(128).default(type === "redis" ? REDIS_KEY_COLUMN : "id"),
    batch_size: z.number().int().min(1).max(50_000).default(1000),
    parallelism: z.number().int().min(1).max(MAX_PARALLELISM).default(1).describe("key-range partitions a pull reads at once, each over its own connection (at most max_connections)"),
    schedule: z.string().nullable().optional().describe("5-field cron: minute hour day-of-month month day-of-week"),
    timezone: z.string().default("UTC").describe("IANA time zone of the schedule"),
    test_connection: z.boolean().optional(),
  };
}

interface CheckedSettings {
  schedule?: string | null;
  timezone: string;
  collection?: string | null;
  record_type?: string | null;
  query?: string | null;
  parallelism: number;
  connection_config: Record<string, unknown> & { max_connections?: number };
}

function checkSettings(type: SourceType) {
  return (body: CheckedSettings, ctx: Ctx) => {
    const connections = body.connection_config.max_connections ?? DEFAULT_MAX_CONNECTIONS;
    if (body.parallelism > connections) {
      ctx.addIssue({ code: "custom", path: ["parallelism"], message: `parallelism ${body.parallelism} is more than connection_config.max_connections (${connections}); raise max_connections or lower parallelism` });
    }
    if (body.schedule !== undefined && body.schedule !== null) {
      const reason = validateCron(body.schedule);
      if (reason) ctx.addIssue({ code: "custom", path: ["schedule"], message: `schedule is not a valid 5-field cron expression: ${reason}` });
      const missing = missingPullTarget({ ...body, connector_type: type });
      if (missing) ctx.addIssue({ code: "custom", path: [missing.field], message: `a scheduled connector pulls, so it needs a ${missing.what}; set it or leave schedule out` });
    }
    if (!isValidTimeZone(body.timezone)) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: `timezone ${JSON.stringify(body.timezone)} is not an IANA time zone` });
    }
    if (type === "rest_api") checkRestApiQuery(body.query, ctx);
    if (type === "redis") checkRedisQuery(body.query, ctx);
    if (type === "mongodb" && body.query) {
      let filter: unknown;
      try {
        filter = JSON.parse(body.query);
      } catch {
        filter = undefined;
      }
      if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
        ctx.addIssue({ code: "custom", path: ["query"], message: "query must be a JSON object (a MongoDB filter document), e.g. {\"status\": \"active\"}" });
      }
    }
  };
}

function connectorSchema<T extends SourceType>(type: T) {
  return z.strictObject(settingsFields(type)).superRefine(checkSettings(type));
}

/** The fields a dbt connector has: no collection, query or schedule, since it pulls nothing. */
export const dbtFields = ["name", "connector_type", "connection_config", "description", "space", "source_system_id"] as const;

const dbtConnector = z.strictObject({
  ...sharedFields,
  connector_type: z.literal("dbt"),
  connection_config: dbtConfig.default({}),
});

export const connectorSchemas = {
  postgresql: connectorSchema("postgresql"),
  mysql: connectorSchema("mysql"),
  mongodb: connectorSchema("mongodb"),
  neo4j: connectorSchema("neo4j"),
  rest_api: connectorSchema("rest_api"),
  redis: connectorSchema("redis"),
  redshift: connectorSchema("redshift"),
  dbt: dbtConnector,
} satisfies Record<ConnectorType, z.ZodType>;

export type SourceConnectorInput = z.output<(typeof connectorSchemas)[SourceType]>;
export type DbtConnectorInput = z.output<typeof dbtConnector>;
export type ConnectorInput = SourceConnectorInput | DbtConnectorInput;

/** Top-level fields a PATCH may carry (connector_type cannot change). */
export const patchableFields = [
  "name", "collection", "record_type", "connection_config", "query", "name_column", "id_column",
  "batch_size", "parallelism", "schedule", "timezone", "description", "test_connection", "space", "source_system_id",
] as const;
