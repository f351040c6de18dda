import type { Principal } from "../apiKeys/types.js";

/** Hono environment shared by every route group. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    requestId: string;
  };
}
