// The catalog's shapes: entries (what discovery and dbt manifests found, kept with when they were
// first and last seen) and sync records (the history of metadata syncs and manifest imports).
import type { CatalogColumn, CatalogEntry } from "../sources/contract.js";

export type EntryOrigin = "discovery" | "dbt";
export type DbtResourceType = "model" | "source" | "seed" | "snapshot";
export type EntryKind = CatalogEntry["kind"] | DbtResourceType;

export interface EntryColumn extends Omit<CatalogColumn, "data_type"> {
  /** Null where a dbt manifest does not declare it. */
  data_type: string | null;
  description?: string;
  tags?: string[];
}

/** What a sync or an import found, before it is matched with what the catalog already holds. */
export interface EntryDraft {
  origin: EntryOrigin;
  /** Unique per connector and origin; the entry id is derived from it, so it survives syncs. */
  key: string;
  kind: EntryKind;
  database?: string;
  schema?: string;
  name: string;
  columns: EntryColumn[];
  row_estimate?: number;
  description?: string;
  tags?: string[];
  depends_on?: { nodes: string[]; macros: string[] };
  dbt?: {
    unique_id: string;
    package_name: string;
    materialized?: string;
    relation_name?: string;
    original_file_path?: string;
    /** The relation's name in the warehouse (alias or identifier), matched against discovered tables. */
    relation?: string;
  };
  /** A discovered table or view with the same database, schema and name (dbt entries). */
  linked_entry_id?: string;
}

export interface CatalogItem extends Omit<EntryDraft, "key"> {
  entry_id: string;
  tenant: string;
  connector_id: string;
  qualified_name: string;
  removed: boolean;
  removed_at: string | null;
  first_seen_at: string;
  last_seen_at: string;
  updated_at: string;
  /** SHA-256 of what the source said about the entry: a change counts as an update. */
  fingerprint: string;
}

export type CatalogEntryView = Omit<CatalogItem, "tenant" | "fingerprint">;

export type SyncKind = "discovery" | "dbt_manifest";
export type SyncStatus = "running" | "completed" | "failed";

export interface SyncError {
  type: string;
  message: string;
  code?: string;
}

/** One metadata sync or manifest import: the sync history. */
export interface SyncRecord {
  id: string;
  tenant: string;
  connector_id: string;
  connector_name: string;
  /** The connector's space (absent on records made before spaces: the default space). */
  space?: string;
  kind: SyncKind;
  status: SyncStatus;
  products_created: number;
  products_updated: number;
  products_removed: number;
  /** Entries found again without a change. */
  products_unchanged: number;
  started_at: string;
  completed_at: string | null;
  error: SyncError | null;
  /** dbt imports: which manifest, and how many entries were linked to discovered tables. */
  manifest?: { dbt_schema_version: string; dbt_version: string | null; project_name: string | null; generated_at: string | null; adapter_type: string | null };
  products_linked?: number;
}
