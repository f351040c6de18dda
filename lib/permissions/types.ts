import type { Role } from "../apiKeys/types.js";
import type { Actor } from "../connectors/types.js";

/** One key's level on one connector, given by an owner of that connector. */
export interface ConnectorGrant {
  connector_id: string;
  key_id: string;
  permission: Role;
  granted_by: Actor;
  created_at: string;
  updated_at: string;
}
