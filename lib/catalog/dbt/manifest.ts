// Reads a dbt manifest.json (already parsed JSON) into catalog drafts: models, seeds, snapshots
// and sources with descriptions, columns, tags and depends_on. Only the fields Sluice uses are
// validated, so the many other fields dbt adds from version to version pass through unread.
import { z } from "zod";
import { isObject } from "../../validation.js";
import { ManifestError } from "../errors.js";
import type { DbtResourceType, EntryDraft, SyncRecord } from "../types.js";

/** dbt Core 1.3 (v7) to 1.8+ (v12): the node fields read here are the same across them. */
export const SUPPORTED_SCHEMA_VERSIONS = [7, 8, 9, 10, 11, 12] as const;
const MAX_METADATA = 1_000;
const VERSION_URL = /^https:\/\/schemas\.getdbt\.com\/dbt\/manifest\/v(\d+)(?:\.json)?$/;

const text = z.string().nullish();
const column = z.looseObject({ name: z.string(), description: text, data_type: text, tags: z.array(z.string()).nullish() });
const resource = z.looseObject({
  unique_id: z.string(),
  name: z.string(),
  package_name: z.string(),
  database: text,
  schema: z.string(),
  description: text,
  tags: z.array(z.string()).nullish(),
  columns: z.record(z.string(), column).nullish(),
  relation_name: text,
  original_file_path: text,
});
const node = resource.extend({
  resource_type: z.enum(["model", "seed", "snapshot"]),
  alias: text,
  depends_on: z.looseObject({ nodes: z.array(z.string()).nullish(), macros: z.array(z.string()).nullish() }).nullish(),
  config: z.looseObject({ materialized: text }).nullish(),
});
const source = resource.extend({ resource_type: z.literal("source"), identifier: text, source_name: z.string() });
const metadata = z.looseObject({
  dbt_schema_version: z.string(),
  dbt_version: text,
  generated_at: text,
  adapter_type: text,
  project_name: text,
});

export interface ParsedManifest {
  manifest: NonNullable<SyncRecord["manifest"]>;
  drafts: EntryDraft[];
}

function parsePart<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [where, ...issue.path.map(String)].join(".");
  throw new ManifestError(`manifest_file is not a dbt manifest: ${path}: ${issue.message.replace(/^Invalid input: /, "")}`, { path });
}

export function schemaVersion(url: string): number {
  const match = VERSION_URL.exec(url);
  const version = match ? Number(match[1]) : undefined;
  if (version === undefined || !(SUPPORTED_SCHEMA_VERSIONS as readonly number[]).includes(version)) {
    const supported = `v${SUPPORTED_SCHEMA_VERSIONS[0]}–v${SUPPORTED_SCHEMA_VERSIONS.at(-1)}`;
    throw new ManifestError(
      `unsupported dbt manifest schema version ${JSON.stringify(url)}; supported: ${supported} (dbt Core 1.3 and later)`,
      { dbt_schema_version: url, supported: SUPPORTED_SCHEMA_VERSIONS.map((v) => `https://schemas.getdbt.com/dbt/manifest/v${v}.json`) },
    );
  }
  return version;
}

function columnsOf(columns: Record<string, z.output<typeof column>> | null | undefined): EntryDraft["columns"] {
  return Object.values(columns ?? {}).map((c) => ({
    name: c.name,
    data_type: c.data_type ?? null,
    ...(c.description ? { description: c.description } : {}),
    ...(c.tags?.length ? { tags: c.tags } : {}),
  }));
}

function draftOf(r: z.output<typeof resource>, type: DbtResourceType, relation: string, extra: { dependsOn?: string[]; macros?: string[]; materialized?: string | null }): EntryDraft {
  return {
    origin: "dbt",
    key: r.unique_id,
    kind: type,
    ...(r.database ? { database: r.database } : {}),
    schema: r.schema,
    name: r.name,
    columns: columnsOf(r.columns),
    description: r.description ?? "",
    tags: r.tags ?? [],
    depends_on: { nodes: extra.dependsOn ?? [], macros: extra.macros ?? [] },
    dbt: {
      unique_id: r.unique_id,
      package_name: r.package_name,
      relation,
      ...(r.relation_name ? { relation_name: r.relation_name } : {}),
      ...(r.original_file_path ? { original_file_path: r.original_file_path } : {}),
      ...(extra.materialized ? { materialized: extra.materialized } : {}),
    },
  };
}

/** Validates the manifest's version and shape, and turns its resources into drafts. */
export function readManifest(value: unknown): ParsedManifest {
  if (!isObject(value)) throw new ManifestError("manifest_file must hold a JSON object (dbt's target/manifest.json)");
  const meta = parsePart(metadata, value.metadata, "metadata");
  schemaVersion(meta.dbt_schema_version);
  const nodes = parsePart(z.record(z.string(), z.unknown()), value.nodes, "nodes");
  const sources = parsePart(z.record(z.string(), z.unknown()), value.sources ?? {}, "sources");
  const drafts: EntryDraft[] = [];
  for (const [id, raw] of Object.entries(nodes)) {
    // Tests, analyses, operations and unit tests are not tables; only what dbt materializes is.
    const type = isObject(raw) ? raw.resource_type : undefined;
    if (type !== "model" && type !== "seed" && type !== "snapshot") continue;
    const n = parsePart(node, raw, `nodes.${id}`);
    drafts.push(
      draftOf(n, n.resource_type, n.alias ?? n.name, {
        dependsOn: n.depends_on?.nodes ?? [],
        macros: n.depends_on?.macros ?? [],
        materialized: n.config?.materialized,
      }),
    );
  }
  for (const [id, raw] of Object.entries(sources)) {
    const s = parsePart(source, raw, `sources.${id}`);
    drafts.push(draftOf(s, "source", s.identifier ?? s.name, {}));
  }
  // Kept in the sync record, a DynamoDB item of at most 400 KB.
  const cut = (value: string | null | undefined) => (value === null || value === undefined ? null : value.slice(0, MAX_METADATA));
  return {
    manifest: {
      dbt_schema_version: meta.dbt_schema_version.slice(0, MAX_METADATA),
      dbt_version: cut(meta.dbt_version),
      project_name: cut(meta.project_name),
      generated_at: cut(meta.generated_at),
      adapter_type: cut(meta.adapter_type),
    },
    drafts,
  };
}
