// The files of swagger-ui-dist the reference page loads, with their content types: served by
// docsRoutes.ts, and copied into the connectors Lambda bundle by cdk/stack.ts.
export const DOCS_ASSETS = "/docs/assets";

/** What @hono/swagger-ui links under `${baseUrl}/swagger-ui-dist/`. */
export const docsAssetFiles = { "swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8" } as const;
