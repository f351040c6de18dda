// Per-connector sharing (Querri's connector permissions): an owner of a connector — the tenant's
// owner role or an owner grant on it — grants another key of the tenant viewer, editor or owner
// on that connector, lists the grants and revokes them. `user_id` is Querri's name for `key_id`.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { ApiKeyRepository } from "../../apiKeys/apiKeys.js";
import { roles, type ApiKeyRecord } from "../../apiKeys/types.js";
import type { ConnectorService } from "../../connectors/service.js";
import { ValidationError } from "../../errors.js";
import type { ConnectorGrants } from "../../permissions/grants.js";
import type { ConnectorGrant } from "../../permissions/types.js";
import { parseWith } from "../../validation.js";
import { readJson } from "../body.js";
import { idParam } from "../params.js";
import type { AppEnv } from "../types.js";

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an API key id (key_…)");
export const grantBody = z.strictObject({
  key_id: keyId.optional(),
  user_id: keyId.optional(),
  // A missing permission keeps zod's message ("permission is required").
  permission: z.enum(roles, { error: (issue) => (issue.input === undefined ? undefined : `must be one of ${roles.join(", ")}`) }),
});

export interface PermissionRouteDeps {
  connectors: ConnectorService;
  apiKeys: ApiKeyRepository;
  grants: ConnectorGrants;
}

/** The key a body names, by `key_id` or its alias `user_id`, as it was sent (for the 400's field). */
function namedKey(body: z.output<typeof grantBody>): { id: string; field: "key_id" | "user_id" } {
  if (body.key_id !== undefined && body.user_id !== undefined && body.key_id !== body.user_id) {
    throw new ValidationError("key_id and user_id name different keys; send one (user_id is Querri's name for key_id)", "user_id");
  }
  if (body.key_id !== undefined) return { id: body.key_id, field: "key_id" };
  if (body.user_id !== undefined) return { id: body.user_id, field: "user_id" };
  throw new ValidationError("key_id is required: the id of the API key to share the connector with", "key_id");
}

function grantView(grant: ConnectorGrant, key: ApiKeyRecord | undefined) {
  return { ...grant, key_name: key?.name ? key.name : null, key_role: key?.role ?? null };
}

export function permissionRoutes(deps: PermissionRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /** The connector's id once the caller is one of its owners and it exists in the caller's tenant. */
  const ownedConnector = async (c: Context<AppEnv>): Promise<string> => {
    const id = idParam(c, "id", "connector");
    await c.get("access").require(id, "owner");
    await deps.connectors.get(c.get("principal").tenant, id); // 404 for an unknown or another tenant's
    return id;
  };

  app.post("/connectors/:id/permissions", async (c) => {
    const { tenant, keyId: callerId } = c.get("principal");
    const connectorId = await ownedConnector(c);
    const body = parseWith(grantBody, await readJson(c));
    const target = namedKey(body);
    const keys = await deps.apiKeys.list(tenant);
    // Only this tenant's keys are looked at: another tenant's key id is as unknown as a made-up one.
    const key = keys.find((record) => record.key_id === target.id);
    if (!key) throw new ValidationError(`${target.field} names no API key of this tenant`, target.field);
    const caller = keys.find((record) => record.key_id === callerId);
    const { grant, created } = await deps.grants.put(
      tenant,
      { connector_id: connectorId, key_id: key.key_id, permission: body.permission, granted_by: { key_id: callerId, name: caller?.name ? caller.name : null } },
      new Date().toISOString(),
    );
    return c.json(grantView(grant, key), created ? 201 : 200);
  });

  // A revoked key's grants stay stored but name a key that no longer authenticates: not listed.
  app.get("/connectors/:id/permissions", async (c) => {
    const tenant = c.get("principal").tenant;
    const connectorId = await ownedConnector(c);
    const [grants, keys] = await Promise.all([deps.grants.list(tenant, connectorId), deps.apiKeys.list(tenant)]);
    const byId = new Map(keys.map((key) => [key.key_id, key]));
    const items = grants.filter((grant) => byId.has(grant.key_id)).map((grant) => grantView(grant, byId.get(grant.key_id)));
    return c.json({ items, next_cursor: null });
  });

  app.delete("/connectors/:id/permissions/:keyId", async (c) => {
    const connectorId = await ownedConnector(c);
    await deps.grants.revoke(c.get("principal").tenant, connectorId, idParam(c, "keyId", "grant"));
    return c.body(null, 204);
  });

  return app;
}
