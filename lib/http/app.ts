// The HTTP API: one Hono app per route group, mounted under /api/v1 behind request ids, access
// logs and authentication. The Lambda handlers and the local server both serve it.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Services } from "../runtime/services.js";
import { connectorAccess } from "../permissions/access.js";
import { rateLimit } from "../rateLimit/middleware.js";
import { authenticate, roleByMethod } from "./auth.js";
import { mapError } from "./errorMapping.js";
import { docsRoutes } from "./openapi/docsRoutes.js";
import { apiKeyRoutes } from "./routes/apiKeys.js";
import { catalogRoutes } from "./routes/catalog.js";
import { connectorRoutes } from "./routes/connectors.js";
import { eventSubscriptionRoutes } from "./routes/eventSubscriptions.js";
import { ingestRoutes } from "./routes/ingest.js";
import { oauthCallbackRoutes, oauthRoutes } from "./routes/oauth.js";
import { permissionRoutes } from "./routes/permissions.js";
import { pullRoutes } from "./routes/pulls.js";
import { recordRoutes } from "./routes/records.js";
import { schemaRoutes } from "./routes/schemas.js";
import { webhookRoutes } from "./routes/webhooks.js";
import type { AppEnv } from "./types.js";

/**
 * The route groups, one Lambda each in AWS (`functions/`): connectors (CRUD, types, API keys, OAuth),
 * pulls (pull now, test, runs), records (read back), ingest (batch, stream, schemas,
 * ingestions), webhooks (signed pushes), catalog (sync, catalog, dbt manifests, health).
 */
export type RouteGroup = "connectors" | "apiKeys" | "pulls" | "records" | "ingest" | "webhooks" | "catalog";

export const allRouteGroups: RouteGroup[] = ["connectors", "apiKeys", "pulls", "records", "ingest", "webhooks", "catalog"];

export function createApp(services: Services, groups: RouteGroup[] = allRouteGroups): Hono<AppEnv> {
  const { logger } = services;
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // Method, path and status only: bodies and headers may carry credentials.
    logger.info("request", {
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round(performance.now() - started),
    });
  });

  app.get("/health", (c) => c.json({ status: "ok" }));

  // The OAuth callback comes from the user's browser, sent back by the provider: no API key, its
  // single-use state authenticates it. Registered before the authenticated group, it answers first.
  if (groups.includes("connectors")) app.route("/api/v1", oauthCallbackRoutes(services.oauth));
  // The OpenAPI document and its reference page are public, like the API they describe.
  if (groups.includes("connectors")) app.route("/", docsRoutes());

  const api = new Hono<AppEnv>();
  api.use(authenticate(services.apiKeys));
  // Before anything else the request would do: a refused request did nothing.
  api.use(rateLimit(services.rateLimiter, services.config.rateLimits, logger));
  api.use(connectorAccess(services.grants));
  api.use(roleByMethod());
  if (groups.includes("connectors")) api.route("/", connectorRoutes(services));
  if (groups.includes("connectors")) api.route("/", oauthRoutes(services.oauth));
  if (groups.includes("connectors")) api.route("/", eventSubscriptionRoutes(services.events));
  if (groups.includes("connectors")) api.route("/", permissionRoutes(services));
  if (groups.includes("apiKeys")) api.route("/", apiKeyRoutes(services.apiKeys));
  if (groups.includes("pulls")) api.route("/", pullRoutes(services));
  if (groups.includes("records")) api.route("/", recordRoutes(services.records));
  if (groups.includes("catalog")) api.route("/", catalogRoutes(services));
  if (groups.includes("ingest")) {
    api.route("/", ingestRoutes({ ...services, maxBodyBytes: services.config.ingestMaxBodyBytes }));
    api.route("/", schemaRoutes(services.schemas));
  }
  if (groups.includes("webhooks")) api.route("/", webhookRoutes({ ...services, maxBodyBytes: services.config.ingestMaxBodyBytes }));
  app.route("/api/v1", api);

  app.notFound((c) =>
    c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}`, request_id: c.get("requestId") }, 404),
  );
  app.onError((error, c) => {
    const mapped = mapError(error, c.get("requestId"));
    if (mapped.unexpected) {
      logger.error("unhandled error", { request_id: c.get("requestId"), error: { name: error.name, message: error.message, stack: error.stack } });
    }
    return c.json(mapped.body, mapped.status);
  });
  return app;
}
