// Configuration read from the environment once, into a typed object. Everything else receives
// this object; nothing below lib/runtime reads process.env.
import path from "node:path";
import { ConfigurationError } from "../errors.js";
import { parseOAuthProviders, type OAuthProviders } from "../oauth/providers.js";
import type { RatePolicy } from "../rateLimit/contract.js";
import type { RateLimitPolicies } from "../rateLimit/policies.js";
import { DEFAULT_RECORD_SHARDS } from "../records/shards.js";

export type RuntimeKind = "local" | "aws";

export interface Config {
  runtime: RuntimeKind;
  host: string;
  port: number;
  dataDir: string;
  /** Comma-separated Fernet keys, first is primary; undefined when not set. */
  encryptionKeys: string | undefined;
  kmsKeyId: string | undefined;
  region: string;
  dynamodbEndpoint: string | undefined;
  controlTable: string;
  recordsTable: string;
  /** DynamoDB data plane: partition keys a collection's records spread over (fixed for a table's life). */
  recordShards: number;
  /** Where records live: SQLite in the data dir (local default) or the DynamoDB records table. */
  recordsStore: "sqlite" | "dynamodb";
  logLevel: "debug" | "info" | "warn" | "error";
  /** How long a pull's lease lives without renewal: a crashed pull frees the connector after this. */
  pullLeaseTtlMs: number;
  /** Subtracted from a successful pull's start to form the next `:last_pull`. */
  pullOverlapMs: number;
  /** Worker invocations one pull may take (each continuation before a deadline is one). */
  pullMaxInvocations: number;
  /** A pull stops at least this long before its invocation's deadline to continue in a new one. */
  pullDeadlineMarginMs: number;
  /** At most this often a pull saves its checkpoint (0: after every batch); also when it stops. */
  pullCheckpointIntervalMs: number;
  /** The longest `?wait=` a pull request is held for; behind API Gateway (30 s) the stack sets 25. */
  pullMaxWaitSeconds: number;
  /** Documents (MongoDB) or nodes and relationships (Neo4j) sampled per collection, label or type by a metadata sync. */
  catalogSampleSize: number;
  /** AWS: the pull worker function (async invoke target and scheduler target). */
  pullWorkerArn: string | undefined;
  /** AWS: the EventBridge Scheduler group and the role Scheduler assumes to invoke the worker. */
  scheduleGroup: string | undefined;
  schedulerRoleArn: string | undefined;
  /** Push ingestion: records per batch or webhook request, and their body size (Lambda's 6 MB). */
  ingestMaxRecords: number;
  ingestMaxBodyBytes: number;
  /** NDJSON streams: records per write batch, and batches being written at once. */
  ingestStreamBatchSize: number;
  ingestStreamMaxInFlight: number;
  /** How long dead-letter entries are kept (DynamoDB TTL). */
  deadLetterRetentionDays: number;
  /** The deployment-wide webhook HMAC key; a tenant's own secret (set through the API) wins. */
  webhookSecret: string | undefined;
  /** Refuse webhooks without X-Webhook-Timestamp (an untimestamped signature is valid forever). */
  webhookRequireTimestamp: boolean;
  /** How long a received webhook delivery is remembered, so a copy of it is not applied again. */
  webhookReplayRetentionSeconds: number;
  /** OAUTH_PROVIDERS: the OAuth 2.0 providers users may connect REST API connectors through (holds client secrets: never logged). */
  oauthProviders: OAuthProviders;
  /** How long an authorization request's `state` may wait for its callback. */
  oauthStateTtlSeconds: number;
  /** Event webhooks: how long a receiver has per attempt, the first retry's wait (doubling after), attempts in all, and how long the delivery log is kept. */
  eventDeliveryTimeoutMs: number;
  eventRetryBaseMs: number;
  eventMaxAttempts: number;
  eventLogRetentionDays: number;
  /** ALLOW_PRIVATE_NETWORKS: user-given hosts may be loopback or private addresses (default: local yes, AWS no). */
  allowPrivateNetworks: boolean;
  /** DNS_SERVERS: `host:port` servers the network guard resolves user-given names at; absent: the system resolver. */
  dnsServers: string[] | undefined;
  /** Token buckets per API key, per webhook target and per key's NDJSON streams (null: unlimited). */
  rateLimits: RateLimitPolicies;
  /** Where buckets live: this process (local default) or the control table, shared by every container (AWS). */
  rateLimitStore: "memory" | "dynamodb";
}

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function boolFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigurationError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** A bucket from `<name>_PER_<unit>` (0: no limit) and `<name>_BURST`. */
function rateFrom(env: Env, name: string, unit: "SECOND" | "MINUTE", fallback: { rate: number; burst: number }): RatePolicy | null {
  const rate = intFrom(env, `${name}_PER_${unit}`, fallback.rate, 0, 1_000_000);
  const burst = intFrom(env, `${name}_BURST`, fallback.burst, 1, 1_000_000);
  return rate === 0 ? null : { ratePerSecond: unit === "SECOND" ? rate : rate / 60, burst };
}

function rateLimitStoreFrom(env: Env, runtime: RuntimeKind): Config["rateLimitStore"] {
  const raw = nonEmpty(env.RATE_LIMIT_STORE) ?? (runtime === "local" ? "memory" : "dynamodb");
  if (raw !== "memory" && raw !== "dynamodb") throw new ConfigurationError(`RATE_LIMIT_STORE must be memory or dynamodb, got ${JSON.stringify(raw)}`);
  return raw;
}

function recordsStoreFrom(env: Env, runtime: RuntimeKind): Config["recordsStore"] {
  const raw = nonEmpty(env.RECORDS_STORE) ?? (runtime === "local" ? "sqlite" : "dynamodb");
  if (raw !== "sqlite" && raw !== "dynamodb") throw new ConfigurationError(`RECORDS_STORE must be sqlite or dynamodb, got ${JSON.stringify(raw)}`);
  // A Lambda's disk is its own and gone with it: records there would be lost.
  if (raw === "sqlite" && runtime !== "local") throw new ConfigurationError("RECORDS_STORE=sqlite is for the local runtime only; AWS keeps records in DynamoDB");
  return raw;
}

function dnsServersFrom(env: Env): string[] | undefined {
  const servers = nonEmpty(env.DNS_SERVERS)?.split(",").map((server) => server.trim()).filter(Boolean);
  if (!servers || servers.length === 0) return undefined;
  const bad = servers.find((server) => !/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(server));
  if (bad) throw new ConfigurationError(`DNS_SERVERS must be comma-separated IP addresses with optional :port (e.g. 127.0.0.1:5353), got ${JSON.stringify(bad)}`);
  return servers;
}

export function loadConfig(runtime: RuntimeKind, env: Env = process.env): Config {
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigurationError(`LOG_LEVEL must be one of debug, info, warn, error, got ${JSON.stringify(logLevel)}`);
  }
  const config: Config = {
    runtime,
    host: nonEmpty(env.HOST) ?? "127.0.0.1",
    port: intFrom(env, "PORT", 3000, 0, 65535),
    dataDir: path.resolve(nonEmpty(env.SLUICE_DATA_DIR) ?? ".sluice"),
    encryptionKeys: nonEmpty(env.CONNECTOR_ENCRYPTION_KEY),
    kmsKeyId: nonEmpty(env.KMS_KEY_ID),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? "us-east-1",
    dynamodbEndpoint: nonEmpty(env.DYNAMODB_ENDPOINT),
    controlTable: nonEmpty(env.CONTROL_TABLE) ?? "sluice-control",
    recordsTable: nonEmpty(env.RECORDS_TABLE) ?? "sluice-records",
    recordsStore: recordsStoreFrom(env, runtime),
    recordShards: intFrom(env, "RECORDS_SHARDS", DEFAULT_RECORD_SHARDS, 1, 256),
    logLevel: logLevel as Config["logLevel"],
    pullLeaseTtlMs: intFrom(env, "PULL_LEASE_TTL_SECONDS", 300, 5, 86_400) * 1000,
    pullOverlapMs: intFrom(env, "PULL_OVERLAP_SECONDS", 60, 0, 86_400) * 1000,
    pullMaxWaitSeconds: intFrom(env, "PULL_MAX_WAIT_SECONDS", 900, 0, 900),
    pullMaxInvocations: intFrom(env, "PULL_MAX_INVOCATIONS", 100, 1, 10_000),
    pullDeadlineMarginMs: intFrom(env, "PULL_DEADLINE_MARGIN_SECONDS", 30, 0, 600) * 1000,
    pullCheckpointIntervalMs: intFrom(env, "PULL_CHECKPOINT_INTERVAL_MS", 1000, 0, 300_000),
    catalogSampleSize: intFrom(env, "CATALOG_SAMPLE_SIZE", 100, 1, 10_000),
    pullWorkerArn: nonEmpty(env.PULL_WORKER_ARN),
    scheduleGroup: nonEmpty(env.SCHEDULE_GROUP),
    schedulerRoleArn: nonEmpty(env.SCHEDULER_ROLE_ARN),
    ingestMaxRecords: intFrom(env, "INGEST_MAX_RECORDS", 1000, 1, 100_000),
    ingestMaxBodyBytes: intFrom(env, "INGEST_MAX_BODY_BYTES", 6 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    ingestStreamBatchSize: intFrom(env, "INGEST_STREAM_BATCH_SIZE", 500, 1, 10_000),
    ingestStreamMaxInFlight: intFrom(env, "INGEST_STREAM_MAX_IN_FLIGHT", 4, 1, 64),
    deadLetterRetentionDays: intFrom(env, "DEAD_LETTER_RETENTION_DAYS", 30, 1, 3650),
    webhookSecret: nonEmpty(env.WEBHOOK_SECRET),
    webhookRequireTimestamp: boolFrom(env, "WEBHOOK_REQUIRE_TIMESTAMP", false),
    webhookReplayRetentionSeconds: intFrom(env, "WEBHOOK_REPLAY_RETENTION_SECONDS", 7 * 86_400, 600, 365 * 86_400),
    oauthProviders: parseOAuthProviders(env.OAUTH_PROVIDERS),
    oauthStateTtlSeconds: intFrom(env, "OAUTH_STATE_TTL_SECONDS", 600, 30, 3600),
    eventDeliveryTimeoutMs: intFrom(env, "EVENT_DELIVERY_TIMEOUT_MS", 10_000, 100, 60_000),
    eventRetryBaseMs: intFrom(env, "EVENT_RETRY_BASE_MS", 30_000, 10, 3_600_000),
    eventMaxAttempts: intFrom(env, "EVENT_MAX_ATTEMPTS", 8, 1, 20),
    eventLogRetentionDays: intFrom(env, "EVENT_LOG_RETENTION_DAYS", 30, 1, 365),
    rateLimits: {
      apiKey: rateFrom(env, "RATE_LIMIT", "SECOND", { rate: 10, burst: 50 }),
      webhook: rateFrom(env, "WEBHOOK_RATE_LIMIT", "SECOND", { rate: 50, burst: 100 }),
      stream: rateFrom(env, "STREAM_RATE_LIMIT", "MINUTE", { rate: 60, burst: 5 }),
    },
    rateLimitStore: rateLimitStoreFrom(env, runtime),
    // Databases on one machine are usually local; a Lambda has no business reaching its VPC's neighbours.
    allowPrivateNetworks: boolFrom(env, "ALLOW_PRIVATE_NETWORKS", runtime === "local"),
    dnsServers: dnsServersFrom(env),
  };
  // A partition's claim is renewed at its checkpoints: one saved less often than that would let
  // the claim lapse and another worker take the partition over mid-read.
  if (config.pullCheckpointIntervalMs * 2 > config.pullLeaseTtlMs) {
    throw new ConfigurationError(`PULL_CHECKPOINT_INTERVAL_MS must be at most half of PULL_LEASE_TTL_SECONDS (${config.pullLeaseTtlMs / 2} ms), got ${config.pullCheckpointIntervalMs}`);
  }
  // Only the local runtime may fall back to a generated key file; a deployed service without
  // KMS and without a key ring would write envelopes nobody can open after a restart.
  if (runtime !== "local" && !config.kmsKeyId && !config.encryptionKeys) {
    throw new ConfigurationError(
      "CONNECTOR_ENCRYPTION_KEY must be set (comma-separated Fernet keys, first is primary), or KMS_KEY_ID for KMS envelopes",
    );
  }
  return config;
}
