// Connector routes: CRUD and the connector-types catalogue.
import { Hono } from "hono";
import { connectorTypeCatalogue } from "../../connectors/catalogue.js";
import type { ConnectorService } from "../../connectors/service.js";
import { connectorStatuses, connectorTypes, type ConnectorStatus, type ConnectorType } from "../../connectors/types.js";
import { ValidationError } from "../../errors.js";
import { queryBoolean, queryLimit, readJson, readOptionalJson } from "../body.js";
import type { AppEnv } from "../types.js";
import { idParam } from "../params.js";

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined || value === "") return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(`${name} must be one of ${allowed.join(", ")}`, name);
}

export function connectorRoutes(connectors: ConnectorService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/connector-types", (c) => {
    const types = connectorTypeCatalogue();
    return c.json({ items: types, total: types.length });
  });

  app.post("/connectors", async (c) => {
    const view = await connectors.create(c.get("principal").tenant, await readJson(c));
    return c.json(view, 201);
  });

  app.get("/connectors", async (c) => {
    const page = await connectors.list(c.get("principal").tenant, {
      type: oneOf<ConnectorType>(c.req.query("type"), connectorTypes, "type"),
      status: oneOf<ConnectorStatus>(c.req.query("status"), connectorStatuses, "status"),
      limit: queryLimit(c.req.query("limit")),
      cursor: c.req.query("cursor"),
    });
    const includeAvailable = queryBoolean(c.req.query("include_available"), "include_available", true);
    if (!includeAvailable) return c.json(page);
    const available = connectorTypeCatalogue().map(({ config_schema: _schema, ...type }) => type);
    return c.json({ ...page, available_types: available, total_available: available.length });
  });

  app.get("/connectors/:id", async (c) => c.json(await connectors.get(c.get("principal").tenant, idParam(c, "id", "connector"))));

  app.patch("/connectors/:id", async (c) => {
    const view = await connectors.update(c.get("principal").tenant, idParam(c, "id", "connector"), await readJson(c));
    return c.json(view);
  });

  app.delete("/connectors/:id", async (c) => {
    const force = queryBoolean(c.req.query("force"), "force", false);
    await connectors.delete(c.get("principal").tenant, idParam(c, "id", "connector"), { force });
    return c.body(null, 204);
  });

  app.post("/connectors/:id/disable", async (c) => {
    const view = await connectors.disable(c.get("principal").tenant, idParam(c, "id", "connector"), await readOptionalJson(c));
    return c.json(view);
  });

  app.post("/connectors/:id/enable", async (c) => c.json(await connectors.enable(c.get("principal").tenant, idParam(c, "id", "connector"))));

  return app;
}
