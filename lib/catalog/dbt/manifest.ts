// Reads a dbt manifest.json (already parsed JSON) into catalog drafts: models, seeds, snapshots
// and sources with descriptions, columns, tags and depends_on. Only the fields Sluice uses are
// validated, so the many other fields dbt adds from version to version pass through unread.
import { z } from "zod";
import { isObject } from "../../validation.js";
import { ManifestError } from "../errors.js";
import { cutText } from "../reconcile.js";
import type { DbtResourceType, EntryDraft, SyncRecord } from "../types.js";

/** dbt Core 1.3 (v7) to 1.8+ (v12): the node fields read here are the same across them. */
export const SUPPORTED_SCHEMA_VERSIONS = [7, 8, 9, 10, 11, 12] as const;
/** Free text kept in an item is cut to this many characters. */
const MAX_TEXT = 1_000;
const VERSION_URL = /^https:\/\/schemas\.getdbt\.com\/dbt\/manifest\/v(\d+)(?:\.json)?$/;

/**
 * Names and ids identify an entry and link it, so one too long to store is refused (400, before
 * anything is written) rather than cut into another name; warehouses allow far shorter ones.
 * Free text (descriptions, data types, paths) is cut instead: here, and in reconcile.ts.
 */
export const MAX_NAME = 1_024;

// A lone surrogate has no UTF-8 form: stored as U+FFFD, two different ids would become one.
const name = z.string().max(MAX_NAME).refine((value) => value.isWellFormed(), "is not valid Unicode (a lone surrogate)");
const names = z.array(name).nullish();
const text = z.string().nullish();
const column = z.looseObject({ name, description: text, data_type: text, tags: names });
const resource = z.looseObject({
  unique_id: name,
  name,
  package_name: name,
  database: name.nullish(),
  schema: name,
  description: text,
  tags: names,
  columns: z.record(z.string(), column).nullish(),
  relation_name: text,
  original_file_path: text,
});
const node = resource.extend({
  resource_type: z.enum(["model", "seed", "snapshot"]),
  alias: name.nullish(),
  depends_on: z.looseObject({ nodes: names, macros: names }).nullish(),
  config: z.looseObject({ materialized: text }).nullish(),
});
const source = resource.extend({ resource_type: z.literal("source"), identifier: name.nullish(), source_name: name });
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

const cut = (value: string) => cutText(value, MAX_TEXT);

function parsePart<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // A node's id is the manifest's own key, of any length: a message quotes at most MAX_NAME of it.
  const path = [where, ...issue.path.map(String)].join(".").slice(0, 2 * MAX_NAME);
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
    data_type: c.data_type == null ? null : cut(c.data_type),
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
      ...(r.relation_name ? { relation_name: cut(r.relation_name) } : {}),
      ...(r.original_file_path ? { original_file_path: cut(r.original_file_path) } : {}),
      ...(extra.materialized ? { materialized: cut(extra.materialized) } : {}),
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
  const cutOrNull = (value: string | null | undefined) => (value === null || value === undefined ? null : cut(value));
  return {
    manifest: {
      dbt_schema_version: cut(meta.dbt_schema_version),
      dbt_version: cutOrNull(meta.dbt_version),
      project_name: cutOrNull(meta.project_name),
      generated_at: cutOrNull(meta.generated_at),
      adapter_type: cutOrNull(meta.adapter_type),
    },
    drafts,
  };
}
