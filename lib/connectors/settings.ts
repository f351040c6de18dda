// What a connector body sets: its type, the settings a validated body gives, the settings a
// stored item feeds back into validation on PATCH, and the RFC 7396 merge of a config patch.
import { ValidationError } from "../errors.js";
import { isObject } from "../validation.js";
import { dbtFields, patchableFields, type ConnectorInput } from "./schemas.js";
import { connectorTypes, type ConnectorSettings, type ConnectorType } from "./types.js";

export function parseType(value: unknown): ConnectorType {
  // Aliases (Qarion's `postgres`) are mapped before this runs: see aliases.ts.
  if (value === undefined) throw new ValidationError("connector_type is required", "connector_type");
  if (typeof value === "string" && (connectorTypes as readonly string[]).includes(value)) return value as ConnectorType;
  // Only a short string is quoted back: any other value could be of any size.
  const given = typeof value === "string" && value.length <= 50 ? `connector_type ${JSON.stringify(value)}` : `this connector_type (${Array.isArray(value) ? "array" : value === null ? "null" : typeof value})`;
  throw new ValidationError(`${given} is not supported; use one of ${connectorTypes.join(", ")}`, "connector_type");
}

/** RFC 7396 merge patch: null removes a field, objects merge, anything else replaces. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const result = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(target[key])) result[key] = mergePatch(target[key] as Record<string, unknown>, value);
    else result[key] = value;
  }
  return result;
}

export function settingsOf(input: ConnectorInput): ConnectorSettings {
  if (input.connector_type === "dbt") {
    // A dbt connector pulls nothing: the pull settings keep their defaults and stay hidden.
    return {
      name: input.name, connector_type: "dbt", space: input.space, source_system_id: input.source_system_id ?? null, collection: null, record_type: null, query: null, name_column: "name",
      id_column: "id", batch_size: 1000, parallelism: 1, schedule: null, timezone: "UTC", description: input.description ?? null,
    };
  }
  return {
    name: input.name,
    connector_type: input.connector_type,
    space: input.space,
    source_system_id: input.source_system_id ?? null,
    collection: input.collection ?? null,
    record_type: input.record_type ?? null,
    query: input.query ?? null,
    name_column: input.name_column,
    id_column: input.id_column,
    batch_size: input.batch_size,
    parallelism: input.parallelism,
    schedule: input.schedule ?? null,
    timezone: input.timezone,
    description: input.description ?? null,
  };
}

/** The stored item's settings, as a PATCH body validated whole would carry them. */
export function pickSettings(item: Record<string, unknown>, type: ConnectorType): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const fields: readonly string[] = type === "dbt" ? dbtFields : patchableFields;
  for (const key of fields) if (item[key] !== undefined && item[key] !== null) settings[key] = item[key];
  settings.connector_type = item.connector_type;
  return settings;
}
