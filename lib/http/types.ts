import type { Principal } from "../apiKeys/types.js";
import type { ConnectorAccess } from "../permissions/access.js";

/** Hono environment shared by every route group. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The key's level on the connectors it acts on (role or grant). */
    access: ConnectorAccess;
    requestId: string;
  };
}
