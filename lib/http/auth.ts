// Bearer API-key authentication and role checks. Every handler after `authenticate` has a
// principal whose tenant scopes all its reads and writes.
import type { MiddlewareHandler } from "hono";
import type { ApiKeyRepository } from "../apiKeys/apiKeys.js";
import { roleAllows } from "../apiKeys/apiKeys.js";
import type { Role } from "../apiKeys/types.js";
import { AuthenticationError, ForbiddenError } from "../errors.js";
import { connectorOfPath } from "../permissions/access.js";
import type { AppEnv } from "./types.js";

export function authenticate(apiKeys: ApiKeyRepository): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError();
    const record = await apiKeys.findByKey(match[1]!);
    if (!record) throw new AuthenticationError("the API key is not valid (unknown or revoked)");
    c.set("principal", { tenant: record.tenant, role: record.role, keyId: record.key_id });
    await next();
  };
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!roleAllows(principal.role, role)) {
      throw new ForbiddenError(`this action needs the ${role} role; the API key has ${principal.role}`);
    }
    await next();
  };
}

/**
 * Reads need viewer, every other method editor; owner-only routes say so themselves. On a route
 * acting on one connector the key's grant there counts too (the higher of role and grant).
 */
export function roleByMethod(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const needed: Role = ["GET", "HEAD", "OPTIONS"].includes(c.req.method) ? "viewer" : "editor";
    const connectorId = connectorOfPath(c.req.path);
    if (connectorId === undefined) return requireRole(needed)(c, next);
    await c.get("access").require(connectorId, needed);
    await next();
  };
}
