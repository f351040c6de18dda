// Response shapes of the catalog routes (entries, sync history, dbt imports) and of connector
// health, as zod schemas for the OpenAPI document.
import { z } from "zod";

const timestamp = z.string().describe("ISO 8601 date-time");
const count = z.number().int().min(0);

const column = z.object({
  name: z.string(),
  data_type: z.string().nullable().describe("null where a dbt manifest does not declare it"),
  nullable: z.boolean().optional(),
  primary_key: z.boolean().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
});

export const catalogEntry = z
  .object({
    entry_id: z.string(),
    connector_id: z.string(),
    origin: z.enum(["discovery", "dbt"]),
    kind: z.enum(["table", "view", "collection", "label", "relationship", "model", "source", "seed", "snapshot"]),
    database: z.string().optional(),
    schema: z.string().optional(),
    name: z.string(),
    qualified_name: z.string(),
    columns: z.array(column),
    row_estimate: z.number().optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    depends_on: z.object({ nodes: z.array(z.string()), macros: z.array(z.string()) }).optional(),
    dbt: z
      .object({
        unique_id: z.string(),
        package_name: z.string(),
        materialized: z.string().optional(),
        relation_name: z.string().optional(),
        original_file_path: z.string().optional(),
        relation: z.string().optional(),
      })
      .optional(),
    linked_entry_id: z.string().optional(),
    removed: z.boolean(),
    removed_at: timestamp.nullable(),
    first_seen_at: timestamp,
    last_seen_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: "CatalogEntry" });

const syncFields = {
  id: z.string(),
  connector_id: z.string(),
  connector_name: z.string(),
  space: z.string().optional(),
  kind: z.enum(["discovery", "dbt_manifest"]),
  status: z.enum(["running", "completed", "failed"]),
  products_created: count,
  products_updated: count,
  products_removed: count,
  products_unchanged: count,
  started_at: timestamp,
  completed_at: timestamp.nullable(),
  error: z.object({ type: z.string(), message: z.string(), code: z.string().optional() }).nullable(),
  manifest: z
    .object({
      dbt_schema_version: z.string(),
      dbt_version: z.string().nullable(),
      project_name: z.string().nullable(),
      generated_at: z.string().nullable(),
      adapter_type: z.string().nullable(),
    })
    .optional(),
  products_linked: count.optional(),
};

export const syncRecord = z.object(syncFields).meta({ id: "Sync" });
/** A manifest import answers its sync record, with the id also as `job_id`. */
export const manifestImport = z.object({ job_id: z.string(), ...syncFields });
export const syncStarted = z.object({ job_id: z.string(), status: z.literal("running"), started_at: timestamp });

export const connectorHealth = z.object({
  connector_id: z.string(),
  status: z.enum(["healthy", "degraded", "failing", "unknown"]),
  last_check: timestamp.nullable(),
  metrics: z.object({
    success_rate_24h: z.number().nullable(),
    error_rate_24h: z.number().nullable(),
    average_latency_ms: z.number().nullable(),
    total_pulls_24h: count,
    records_24h: count,
    total_tests_24h: count,
  }),
  recent_errors: z.array(
    z.object({
      at: timestamp,
      source: z.enum(["pull", "test"]),
      type: z.string(),
      message: z.string(),
      code: z.string().optional(),
      run_id: z.string().optional(),
    }),
  ),
});
