// API-key management for owners: keys are created within the caller's tenant only.
import { Hono } from "hono";
import { parseRole, type ApiKeyRepository } from "../../apiKeys/apiKeys.js";
import { ValidationError } from "../../errors.js";
import { requireObject } from "../../validation.js";
import { requireRole } from "../auth.js";
import { readJson } from "../body.js";
import type { AppEnv } from "../types.js";
import { idParam } from "../params.js";

export function apiKeyRoutes(apiKeys: ApiKeyRepository): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/api-keys", requireRole("owner"));
  app.use("/api-keys/*", requireRole("owner"));

  app.post("/api-keys", async (c) => {
    const { role, name, ...rest } = requireObject(await readJson(c));
    const extra = Object.keys(rest)[0];
    if (extra) throw new ValidationError(`${extra} is not a known field (keys are created in the caller's tenant)`, extra);
    if (name !== undefined && (typeof name !== "string" || name.length > 200)) {
      throw new ValidationError("name must be a string of at most 200 characters", "name");
    }
    const { key, record } = await apiKeys.create({ tenant: c.get("principal").tenant, role: parseRole(role), name: name as string | undefined });
    // The only time the key is ever shown.
    return c.json({ ...record, key }, 201);
  });

  app.get("/api-keys", async (c) => {
    const items = await apiKeys.list(c.get("principal").tenant);
    return c.json({ items, next_cursor: null });
  });

  app.delete("/api-keys/:keyId", async (c) => {
    await apiKeys.revoke(c.get("principal").tenant, idParam(c, "keyId", "api key"));
    return c.body(null, 204);
  });
  return app;
}
