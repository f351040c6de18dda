// Connector routes: CRUD and the connector-types catalogue, under /connectors and, scoped to a
// space with Qarion's shapes, under /catalog/spaces/{slug}/connectors: the same handlers.
import { Hono, type Context } from "hono";
import type { ApiKeyRepository } from "../../apiKeys/apiKeys.js";
import type { CatalogServices } from "../../catalog/index.js";
import { aliasCatalogue, canonicalType } from "../../connectors/aliases.js";
import { connectorTypeCatalogue } from "../../connectors/catalogue.js";
import { VersionConflictError } from "../../connectors/errors.js";
import type { ConnectorScope, ConnectorService } from "../../connectors/service.js";
import { parseSlug } from "../../connectors/spaces.js";
import { connectorStatuses, connectorTypes, type Actor, type ConnectorStatus, type ConnectorType, type ConnectorView } from "../../connectors/types.js";
import { ConflictError, ValidationError } from "../../errors.js";
import { leaseName } from "../../pull/runner.js";
import type { LeaseLock } from "../../store/leaseLock.js";
import { queryBoolean, queryLimit, readJson, readOptionalJson } from "../body.js";
import type { AppEnv } from "../types.js";
import { idParam } from "../params.js";
import { presentConnector, qarionShape } from "../view.js";

/** Qarion's space routes, under /api/v1. */
export const SPACE_ROUTES = "/catalog/spaces/:slug";

/** The path's space slug (400 when it is not one). */
export function spaceParam(c: Context): string {
  return parseSlug(c.req.param("slug"), "slug");
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined || value === "") return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(`${name} must be one of ${allowed.join(", ")}`, name);
}

export interface ConnectorRouteDeps {
  connectors: ConnectorService;
  apiKeys: ApiKeyRepository;
  leases: LeaseLock;
  catalog: Pick<CatalogServices, "entries">;
}

/** The calling key, as created_by and disabled_by show it. */
async function actorOf(c: Context<AppEnv>, apiKeys: ApiKeyRepository): Promise<Actor> {
  const { tenant, keyId } = c.get("principal");
  const key = (await apiKeys.list(tenant)).find((record) => record.key_id === keyId);
  return { key_id: keyId, name: key?.name ? key.name : null };
}

/**
 * A 409 of an update or delete refused because a pull runs, saying which run
 * (`details.active_executions`, Querri's name); a lost concurrent write is left as it is.
 */
async function explainingConflicts<T>(leases: LeaseLock, tenant: string, id: string, action: "update" | "delete", work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ConflictError) || error instanceof VersionConflictError) throw error;
    const holder = await leases.lastHolder(leaseName(tenant, id)).catch(() => undefined);
    const runs = holder && holder.expiresAt >= Date.now() ? [holder.owner] : [];
    const running = runs.length ? ` (run ${runs.join(", ")})` : "";
    const force = action === "delete" ? ", or use ?force=true" : "";
    throw new ConflictError(`cannot ${action} the connector while its pull is running${running}; retry when it has finished${force}`, { active_executions: runs });
  }
}

export function connectorRoutes(deps: ConnectorRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { connectors, leases } = deps;
  const tenantOf = (c: Context<AppEnv>) => c.get("principal").tenant;
  const present = (c: Context<AppEnv>, view: ConnectorView) => presentConnector(c, deps.catalog.entries, view);
  const qarion = async (c: Context<AppEnv>, view: ConnectorView) => qarionShape(await present(c, view));

  // The handlers both path families share; a scope with a space is a space route's.
  const create = async (c: Context<AppEnv>, space?: string) =>
    connectors.create(tenantOf(c), await readJson(c), { actor: await actorOf(c, deps.apiKeys), space });
  const read = (c: Context<AppEnv>, scope: ConnectorScope) => connectors.get(tenantOf(c), idParam(c, "id", "connector"), scope);
  const update = (c: Context<AppEnv>, scope: ConnectorScope) => {
    const id = idParam(c, "id", "connector");
    return explainingConflicts(leases, tenantOf(c), id, "update", async () => connectors.update(tenantOf(c), id, await readJson(c), scope));
  };
  const remove = async (c: Context<AppEnv>, scope: ConnectorScope) => {
    const id = idParam(c, "id", "connector");
    const force = queryBoolean(c.req.query("force"), "force", false);
    await explainingConflicts(leases, tenantOf(c), id, "delete", () => connectors.delete(tenantOf(c), id, { force, ...scope }));
    return c.body(null, 204);
  };

  app.get("/connector-types", (c) => {
    const types = connectorTypeCatalogue();
    return c.json({ items: types, total: types.length, field_aliases: aliasCatalogue });
  });

  app.post("/connectors", async (c) => c.json(await present(c, await create(c)), 201));

  app.get("/connectors", async (c) => {
    const space = c.req.query("space");
    const page = await connectors.list(tenantOf(c), {
      type: oneOf<ConnectorType>(canonicalType(c.req.query("type")) as string | undefined, connectorTypes, "type"),
      status: oneOf<ConnectorStatus>(c.req.query("status"), connectorStatuses, "status"),
      space: space === undefined || space === "" ? undefined : parseSlug(space, "space"),
      limit: queryLimit(c.req.query("limit")),
      cursor: c.req.query("cursor"),
    });
    const items = await Promise.all(page.items.map((view) => present(c, view)));
    const includeAvailable = queryBoolean(c.req.query("include_available"), "include_available", true);
    if (!includeAvailable) return c.json({ ...page, items });
    const available = connectorTypeCatalogue().map(({ config_schema: _schema, ...type }) => type);
    return c.json({ ...page, items, available_types: available, total_available: available.length });
  });

  app.get("/connectors/:id", async (c) => c.json(await present(c, await read(c, {}))));
  app.patch("/connectors/:id", async (c) => c.json(await present(c, await update(c, {}))));
  app.delete("/connectors/:id", async (c) => remove(c, {}));

  app.post("/connectors/:id/disable", async (c) => {
    const id = idParam(c, "id", "connector");
    const body = await readOptionalJson(c);
    return c.json(await present(c, await connectors.disable(tenantOf(c), id, body, await actorOf(c, deps.apiKeys))));
  });

  app.post("/connectors/:id/enable", async (c) => c.json(await present(c, await connectors.enable(tenantOf(c), idParam(c, "id", "connector")))));

  // Qarion's space routes: the whole space as an array, connectors with `config`.
  app.get(`${SPACE_ROUTES}/connectors`, async (c) => {
    const views = await connectors.listSpace(tenantOf(c), spaceParam(c));
    return c.json(await Promise.all(views.map((view) => qarion(c, view))));
  });
  app.post(`${SPACE_ROUTES}/connectors`, async (c) => {
    const space = spaceParam(c);
    return c.json(await qarion(c, await create(c, space)), 201);
  });
  app.get(`${SPACE_ROUTES}/connectors/:id`, async (c) => {
    const space = spaceParam(c);
    return c.json(await qarion(c, await read(c, { space })));
  });
  app.patch(`${SPACE_ROUTES}/connectors/:id`, async (c) => {
    const space = spaceParam(c);
    return c.json(await qarion(c, await update(c, { space })));
  });
  app.delete(`${SPACE_ROUTES}/connectors/:id`, async (c) => {
    const space = spaceParam(c);
    return remove(c, { space });
  });

  return app;
}
