// Catalog routes: metadata sync (background), the catalog, sync history, dbt manifest imports
// and connector health; sync, sync history and imports also under Qarion's space routes.
import { gunzipSync } from "node:zlib";
import { Hono, type Context } from "hono";
import type { CatalogServices } from "../../catalog/index.js";
import { ManifestError } from "../../catalog/errors.js";
import type { CatalogItem } from "../../catalog/types.js";
import type { ConnectorScope, ConnectorService } from "../../connectors/service.js";
import type { Dispatcher } from "../../dispatch/contract.js";
import { PayloadTooLargeError, ValidationError } from "../../errors.js";
import { decodeUtf8, parseJsonText, queryLimit } from "../body.js";
import { describeBytes, readUploadedFile } from "../multipart.js";
import type { AppEnv } from "../types.js";
import { idParam, idQuery } from "../params.js";
import { withoutTenant } from "../view.js";
import { SPACE_ROUTES, spaceParam } from "./connectors.js";

export const MAX_MANIFEST_BYTES = 50 * 1024 * 1024;

export interface CatalogRouteDeps {
  catalog: CatalogServices;
  connectors: ConnectorService;
  dispatcher: Dispatcher;
}

function view(item: CatalogItem) {
  const { tenant: _t, fingerprint: _f, ...entry } = item;
  return entry;
}

/** The manifest's JSON text; a gzip-compressed upload (smaller than API Gateway's limit) is inflated. */
function manifestText(bytes: Uint8Array): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_MANIFEST_BYTES });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new PayloadTooLargeError(`manifest_file inflates beyond the limit of ${describeBytes(MAX_MANIFEST_BYTES)}`, describeBytes(MAX_MANIFEST_BYTES));
      }
      throw new ManifestError(`manifest_file looks gzip-compressed but does not inflate: ${(error as Error).message}`);
    }
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new ManifestError("manifest_file is not valid UTF-8; dbt writes manifest.json in UTF-8");
  if (text.trim() === "") throw new ManifestError("manifest_file is empty; send dbt's target/manifest.json");
  return text;
}

function parseManifest(text: string): unknown {
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof ValidationError) throw new ManifestError(`manifest_file is not valid JSON: ${error.message}`, error.details);
    throw error;
  }
}

export function catalogRoutes(deps: CatalogRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalog } = deps;

  // The handlers /connectors/… and the space routes share; a space route's connector must be in its space.
  const inScope = async (c: Context<AppEnv>, scope: ConnectorScope): Promise<string> => {
    const id = idParam(c, "id", "connector");
    if (scope.space !== undefined) await deps.connectors.get(c.get("principal").tenant, id, scope);
    return id;
  };

  const sync = async (c: Context<AppEnv>, scope: ConnectorScope) => {
    const begun = await catalog.sync.begin(c.get("principal").tenant, await inScope(c, scope));
    await deps.dispatcher.dispatch(catalog.sync.job(begun));
    return c.json({ job_id: begun.record.id, status: "running", started_at: begun.record.started_at }, 202);
  };

  const importManifest = async (c: Context<AppEnv>, scope: ConnectorScope) => {
    const tenant = c.get("principal").tenant;
    const id = await inScope(c, scope);
    await catalog.sync.manifestTarget(tenant, id); // 404 or 400 before reading a large body for nothing
    const manifest = parseManifest(manifestText(await readUploadedFile(c, "manifest_file", MAX_MANIFEST_BYTES)));
    const record = withoutTenant(await catalog.sync.importManifest(tenant, id, manifest));
    return c.json({ job_id: record.id, ...record });
  };

  const syncHistory = async (c: Context<AppEnv>, scope: ConnectorScope) => {
    const tenant = c.get("principal").tenant;
    const connectorId = idQuery(c, "connector_id", "connector");
    if (connectorId) await deps.connectors.get(tenant, connectorId, scope);
    const page = await catalog.syncs.list(tenant, { connectorId, space: scope.space, limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") });
    const items = await Promise.all(page.items.map((record) => catalog.sync.settled(record)));
    return c.json({ items: items.map(withoutTenant), total: page.total, next_cursor: page.next_cursor });
  };

  app.post("/connectors/:id/sync", async (c) => sync(c, {}));
  app.post("/connectors/:id/dbt-manifest", async (c) => importManifest(c, {}));
  app.get("/sync-history", async (c) => syncHistory(c, {}));
  app.post(`${SPACE_ROUTES}/connectors/:id/sync`, async (c) => sync(c, { space: spaceParam(c) }));
  app.post(`${SPACE_ROUTES}/connectors/:id/dbt-manifest`, async (c) => importManifest(c, { space: spaceParam(c) }));
  app.get(`${SPACE_ROUTES}/sync-history`, async (c) => syncHistory(c, { space: spaceParam(c) }));

  app.get("/sync-history/:id", async (c) => {
    const record = withoutTenant(await catalog.sync.settled(await catalog.syncs.get(c.get("principal").tenant, idParam(c, "id", "sync"))));
    return c.json(record);
  });

  app.get("/catalog", async (c) => {
    const tenant = c.get("principal").tenant;
    const connectorId = idQuery(c, "connector_id", "connector");
    if (connectorId) await deps.connectors.get(tenant, connectorId);
    const q = c.req.query("q");
    if (q !== undefined && q.length > 200) throw new ValidationError("q must be at most 200 characters", "q");
    const page = await catalog.entries.list(tenant, { connectorId, q: q || undefined, limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") });
    return c.json({ items: page.items.map(view), next_cursor: page.next_cursor });
  });

  app.get("/catalog/:entryId", async (c) => c.json(view(await catalog.entries.get(c.get("principal").tenant, idParam(c, "entryId", "catalog entry")))));

  app.get("/connectors/:id/health", async (c) => c.json(await catalog.health.of(c.get("principal").tenant, idParam(c, "id", "connector"))));

  return app;
}
