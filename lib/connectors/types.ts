import type { Envelope } from "../crypto/envelope.js";

/** Types with a connection a source opens (pulls, tests, metadata syncs). */
export const sourceTypes = ["postgresql", "mysql", "mongodb", "neo4j", "rest_api", "redis", "redshift"] as const;
export type SourceType = (typeof sourceTypes)[number];

/** `dbt` has no connection: its catalog comes from uploaded manifests only. */
export const connectorTypes = [...sourceTypes, "dbt"] as const;
export type ConnectorType = (typeof connectorTypes)[number];

export const connectorStatuses = ["active", "running", "error", "disabled"] as const;
export type ConnectorStatus = (typeof connectorStatuses)[number];

export type ConnectionConfig = Record<string, unknown>;

/** The API key that did something (created, disabled): its id and name. */
export interface Actor {
  key_id: string;
  name: string | null;
}

/** What the calling key may do with a connector, from its role. */
export interface ConnectorPermissions {
  can_edit: boolean;
  can_delete: boolean;
  can_share: boolean;
}

/** What a caller sets on a connector (validated create body, without the secret config). */
export interface ConnectorSettings {
  name: string;
  connector_type: ConnectorType;
  /** The space (slug) the connector belongs to; absent on connectors made before spaces: `default`. */
  space?: string;
  /** Qarion's linked source system, kept as given. */
  source_system_id?: string | null;
  /** Null on a catalog-only connector (and a dbt one), which pulls nothing until it is set. */
  collection: string | null;
  record_type: string | null;
  query: string | null;
  name_column: string;
  id_column: string;
  batch_size: number;
  /** Key-range partitions a pull reads at once (absent on connectors made before it: 1). */
  parallelism?: number;
  schedule: string | null;
  timezone: string;
  description: string | null;
}

/** The stored connector: settings, state, and the connection config only as an envelope. */
export interface ConnectorItem extends ConnectorSettings {
  id: string;
  tenant: string;
  status: ConnectorStatus;
  last_error: string | null;
  last_pull_at: string | null;
  /** Start of the last successful pull minus the overlap: the next pull's `:last_pull`. */
  watermark: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  disabled_by?: Actor | null;
  /** When the last metadata sync or manifest import completed. */
  last_sync?: string | null;
  last_tested_at: string | null;
  last_test_status: "success" | "failed" | null;
  /** The last schedule slot the in-process scheduler fired. */
  last_scheduled_at?: string | null;
  /** Absent on connectors made before it was kept. */
  created_by?: Actor | null;
  created_at: string;
  updated_at: string;
  /** Optimistic-concurrency counter: every write is conditioned on the version it read. */
  version: number;
  envelope: Envelope;
  /** The redacted config, kept beside the envelope so reads need no decryption. */
  config_redacted: ConnectionConfig;
}

/** A connector as the API shows it. */
export type ConnectorView = Omit<ConnectorItem, "tenant" | "version" | "envelope" | "config_redacted" | "watermark"> & {
  space: string;
  source_system_id: string | null;
  /** Not disabled (Qarion's flag). */
  is_active: boolean;
  created_by: Actor | null;
  disabled_by: Actor | null;
  last_sync: string | null;
  connection_config: ConnectionConfig;
  /** Only on a create with `test_connection: true`. */
  test_results?: { latency_ms: number; version: string };
};
