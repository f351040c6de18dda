// The OpenAPI registry of the catalog routes: metadata sync, the catalog, sync history, dbt
// manifest imports and connector health, with Qarion's space-scoped routes.
import { z } from "zod";
import { catalogEntry, connectorHealth, manifestImport, syncRecord, syncStarted } from "../catalogSchemas.js";
import { idSchema, pageQuery, spaceParams } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { page } from "../schemas.js";

const tag = "Catalog";
const SPACE = `${API}/catalog/spaces/:slug`;

const manifestBody = {
  contentType: "multipart/form-data",
  schema: z.object({ manifest_file: z.string().meta({ format: "binary" }).describe("dbt's target/manifest.json, optionally gzip-compressed (50 MB at most)") }),
};
const historyQuery = z.object({ connector_id: idSchema.optional().describe("only this connector's syncs"), ...pageQuery });
const history = { 200: { description: "a page of syncs and imports, newest first", schema: page(syncRecord, { total: z.number().int().min(0) }) } };
const started = { 202: { description: "the sync runs in the background; follow it in the sync history", schema: syncStarted } };
const imported = { 200: { description: "the import's sync record", schema: manifestImport } };

export const catalogOperations: OperationDoc[] = [
  { method: "post", path: `${API}/connectors/:id/sync`, tag, summary: "Discover what the source holds (background)", responses: started, errors: [400, 409] },
  { method: "post", path: `${API}/connectors/:id/dbt-manifest`, tag, summary: "Import a dbt manifest", body: manifestBody, responses: imported, errors: [409, 413, 415] },
  { method: "get", path: `${API}/sync-history`, tag, summary: "Metadata syncs and manifest imports", query: historyQuery, responses: history, errors: [404] },
  { method: "post", path: `${SPACE}/connectors/:id/sync`, tag, summary: "Sync a connector of a space (Qarion)", pathParams: spaceParams, responses: started, errors: [400, 409] },
  { method: "post", path: `${SPACE}/connectors/:id/dbt-manifest`, tag, summary: "Import a dbt manifest into a space's connector (Qarion)", pathParams: spaceParams, body: manifestBody, responses: imported, errors: [409, 413, 415] },
  { method: "get", path: `${SPACE}/sync-history`, tag, summary: "A space's sync history (Qarion)", pathParams: spaceParams, query: historyQuery, responses: history, errors: [404] },
  { method: "get", path: `${API}/sync-history/:id`, tag, summary: "One sync or import", responses: { 200: { description: "the sync record", schema: syncRecord } } },
  {
    method: "get", path: `${API}/catalog`, tag, summary: "The catalog: tables, views, collections, labels, dbt models",
    query: z.object({ connector_id: idSchema.optional(), q: z.string().max(200).optional().describe("search in names"), ...pageQuery }),
    responses: { 200: { description: "a page of catalog entries", schema: page(catalogEntry) } },
    errors: [404],
  },
  { method: "get", path: `${API}/catalog/:entryId`, tag, summary: "One catalog entry", responses: { 200: { description: "the entry", schema: catalogEntry } } },
  { method: "get", path: `${API}/connectors/:id/health`, tag, summary: "Success and error rates, latency and recent errors of the last 24 hours", responses: { 200: { description: "the health", schema: connectorHealth } } },
];
