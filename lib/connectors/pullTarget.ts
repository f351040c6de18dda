// What a pull needs that a catalog-only connector (metadata sync, tests, health) may lack: a
// target (the collection and record type its records are stored in), and something to read (a
// query; MongoDB: a collection). A schedule needs the target; a pull begins only with both.
import type { ConnectionConfig, ConnectorType } from "./types.js";

export interface PullSettings {
  connector_type: ConnectorType;
  collection?: string | null;
  record_type?: string | null;
  query?: string | null;
  /** The redacted config is enough: only non-secret fields are looked at. */
  connection_config: ConnectionConfig;
}

export interface MissingField {
  field: string;
  /** What the field is for, to follow "needs a" / "has no". */
  what: string;
}

/** The first part of the pull target (collection, record_type) the connector lacks. */
export function missingPullTarget(settings: PullSettings): MissingField | undefined {
  if (!settings.collection) return { field: "collection", what: "collection to store the pulled records in" };
  if (!settings.record_type) return { field: "record_type", what: "record_type to store the pulled records as" };
  return undefined;
}

/** The first field a pull of the connector lacks: its target, then what to read. */
export function missingPullField(settings: PullSettings): MissingField | undefined {
  const target = missingPullTarget(settings);
  if (target) return target;
  if (settings.connector_type === "mongodb") {
    if (!settings.connection_config.collection) return { field: "connection_config.collection", what: "connection_config.collection (the MongoDB collection) to read" };
  } else if (!settings.query) {
    return { field: "query", what: "query to pull with" };
  }
  return undefined;
}
