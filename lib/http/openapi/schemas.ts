// Response shapes of the HTTP API as zod schemas, for the OpenAPI document only: the request
// schemas are the ones the routes validate with. Objects are closed (an undocumented field is a
// contract failure) except where a shape is open by nature, which says so.
import { z } from "zod";
import { connectorStatuses, connectorTypes } from "../../connectors/types.js";

const timestamp = z.string().describe("ISO 8601 date-time");
const nullableTimestamp = timestamp.nullable();
const count = z.number().int().min(0);
/** A JSON value the API passes through as it was given or found. */
const anyJson = z.unknown();

export const errorBody = z
  .object({
    error: z.string().describe("machine-readable code: validation_error, unauthorized, forbidden, not_found, conflict, …"),
    message: z.string(),
    field: z.string().optional().describe("the request field at fault, as the caller named it"),
    details: anyJson.optional().describe("context of the error; its shape depends on the code"),
    test_results: z.record(z.string(), anyJson).optional().describe("connection_failed only: error_type, attempted_at, code"),
    request_id: z.string(),
  })
  .meta({ id: "Error" });

/** `{items, next_cursor}`: pass next_cursor back as `?cursor=` for the next page; null on the last. */
export function page<T extends z.ZodType>(item: T, extra: z.ZodRawShape = {}) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable(), ...extra });
}

const actor = z.object({ key_id: z.string(), name: z.string().nullable() }).describe("the API key that did it");
const permissions = z.object({ can_edit: z.boolean(), can_delete: z.boolean(), can_share: z.boolean() });

const connectorFields = {
  id: z.string(),
  name: z.string(),
  connector_type: z.enum(connectorTypes),
  space: z.string(),
  source_system_id: z.string().nullable(),
  description: z.string().nullable(),
  collection: z.string().nullable().optional().describe("absent on dbt connectors"),
  record_type: z.string().nullable().optional(),
  query: z.string().nullable().optional(),
  name_column: z.string().optional(),
  id_column: z.string().optional(),
  batch_size: z.number().int().optional(),
  parallelism: z.number().int().optional(),
  schedule: z.string().nullable().optional(),
  timezone: z.string().optional(),
  status: z.enum(connectorStatuses),
  is_active: z.boolean(),
  last_error: z.string().nullable(),
  last_pull_at: nullableTimestamp.optional(),
  disabled_at: nullableTimestamp,
  disabled_reason: z.string().nullable(),
  disabled_by: actor.nullable(),
  last_sync: nullableTimestamp,
  last_tested_at: nullableTimestamp,
  last_test_status: z.enum(["success", "failed"]).nullable(),
  last_scheduled_at: nullableTimestamp.optional(),
  created_by: actor.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  test_results: z.object({ latency_ms: z.number(), version: z.string() }).optional().describe("only on a create with test_connection: true"),
  product_count: count.describe("live catalog entries of the connector"),
  permissions,
};

const redactedConfig = z
  .record(z.string(), anyJson)
  .describe("the connection config as stored, every secret shown as ***REDACTED***; its fields per type are in GET /connector-types");

export const connectorView = z.object({ ...connectorFields, connection_config: redactedConfig }).meta({ id: "Connector" });
/** Qarion's space routes name the config `config`. */
export const spaceConnectorView = z.object({ ...connectorFields, config: redactedConfig }).meta({ id: "SpaceConnector" });

const connectorTypeFields = {
  type: z.enum(connectorTypes),
  name: z.string(),
  description: z.string(),
  features: z.array(z.string()),
  category: z.enum(["database", "api", "transformation"]),
  auth_type: z.enum(["credentials", "none"]),
  aliases: z.array(z.string()),
};
const fieldAlias = z.object({ alias: z.string(), canonical: z.string(), note: z.string() });

export const connectorTypeList = z.object({
  items: z.array(z.object({ ...connectorTypeFields, config_schema: z.record(z.string(), anyJson).describe("JSON Schema of the type's connection_config") })),
  total: count,
  field_aliases: z.array(fieldAlias),
});

export const connectorList = page(connectorView, {
  available_types: z.array(z.object(connectorTypeFields)).optional().describe("unless include_available=false"),
  total_available: count.optional(),
});

const runError = z.object({ type: z.string(), message: z.string(), code: z.string().optional() });
const keyPosition = z.union([z.string(), z.number(), z.object({ $oid: z.string() }), z.null()]);
const partition = z.object({
  range: z.object({ after: keyPosition.optional(), upTo: keyPosition.optional() }),
  status: z.enum(["pending", "running", "completed", "failed"]),
  position: keyPosition.optional(),
  chunks_done: count,
  records_pulled: count,
  records_uploaded: count,
  duplicates_skipped: count,
  records_rejected: count,
  attempts: count,
  claimed_by: z.string().nullable().optional(),
  claimed_until: z.number().optional(),
  error: runError.nullable().optional(),
});

const runCounts = { records_pulled: count, records_uploaded: count, duplicates_skipped: count, records_rejected: count };

export const runRecord = z
  .object({
    run_id: z.string(),
    connector_id: z.string(),
    trigger: z.enum(["manual", "schedule"]),
    status: z.enum(["running", "completed", "failed", "skipped"]),
    ...runCounts,
    started_at: timestamp,
    completed_at: nullableTimestamp,
    duration_seconds: z.number().nullable(),
    last_pull: nullableTimestamp.describe("the watermark this run read from (null on a first pull)"),
    error: runError.nullable(),
    reason: z.string().optional(),
    worker_started_at: timestamp.optional(),
    records_estimate: z.number().nullable().optional(),
    chunks_done: count.optional(),
    ordered: z.boolean().optional(),
    partitions: z.record(z.string(), partition).optional().describe("the checkpoint, by partition index"),
    invocations: count.optional(),
    resumes: count.optional(),
  })
  .meta({ id: "Run" });

export const pullSummary = z.object({
  run_id: z.string(),
  status: z.enum(["completed", "failed", "skipped"]),
  ...runCounts,
  duration_seconds: z.number().nullable(),
  resumes: count.optional(),
  error: runError.optional(),
});
export const pullStarted = z.object({ run_id: z.string(), status: z.literal("running") });

export const connectionTest = z.union([
  z.object({
    connector_id: z.string(),
    status: z.literal("success"),
    tested_at: timestamp,
    latency_ms: z.number(),
    details: z.object({ version: z.string(), server_time: z.string().nullable(), schemas_available: z.array(z.string()) }),
  }),
  z.object({ connector_id: z.string(), status: z.literal("failed"), tested_at: timestamp, error: runError }),
]);

export const ingestionSummary = z
  .object({
    ingestion_id: z.string(),
    status: z.enum(["running", "completed", "failed"]),
    lines: count.optional().describe("NDJSON streams only: lines read, blank ones included"),
    record_count: count,
    accepted: count,
    rejected: count,
    duplicates_skipped: count,
  })
  .meta({ id: "IngestionSummary" });

export const ingestion = ingestionSummary
  .extend({
    kind: z.enum(["batch", "stream", "webhook"]),
    collection: z.string(),
    record_type: z.string(),
    started_at: timestamp,
    completed_at: nullableTimestamp,
    duration_seconds: z.number().nullable(),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: "Ingestion" });

export const deadLetter = z.object({
  ingestion_id: z.string().describe("the ingestion or pull run the entry belongs to"),
  seq: z.number().int(),
  line: z.number().int().optional(),
  index: z.number().int().optional(),
  row: z.number().int().optional(),
  source_id: z.string().nullable().optional(),
  error: z.string(),
  schema_errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  excerpt: z.string().optional(),
  created_at: timestamp,
});

export const storedRecord = z
  .object({
    source_id: z.string(),
    name: z.string(),
    vertical_data: z.record(z.string(), anyJson).describe("the record's fields, as pushed or pulled"),
    content_hash: z.string(),
    origin: z.object({ kind: z.enum(["pull", "push"]), id: z.string(), connector_id: z.string().optional() }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: "Record" });

export const recordSchemaView = z.object({
  collection: z.string(),
  record_type: z.string(),
  schema: anyJson.describe("the JSON Schema (draft 2020-12) as it was put"),
  schema_hash: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});

const role = z.enum(["viewer", "editor", "owner"]);
export const apiKey = z.object({ key_id: z.string(), tenant: z.string().describe("the caller's own"), role, name: z.string(), prefix: z.string(), created_at: timestamp, last_used_at: timestamp.optional() });
export const createdApiKey = apiKey.extend({ key: z.string().describe("the key itself, shown only this once") });

export const webhookSecretStatus = z.object({ source: z.enum(["tenant", "environment", "none"]), updated_at: nullableTimestamp });
export const oauthRefresh = z.object({ connector_uuid: z.string(), status: z.string(), token_refreshed_at: nullableTimestamp, expires_at: nullableTimestamp });
