// The OpenAPI document and its reference page (Swagger UI), answered without an API key. The
// page's script and style sheet come from swagger-ui-dist through this service, never a CDN:
// the package is resolved as Node resolves it (the connectors Lambda bundle carries a copy,
// see cdk/sluiceFunction.ts).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { NotFoundError } from "../../errors.js";
import type { AppEnv } from "../types.js";
import { DOCS_ASSETS, docsAssetFiles } from "./docsAssets.js";
import { openApiDocument } from "./document.js";
import { API } from "./registry.js";


let documentText: string | undefined;
const assets = new Map<string, Promise<Buffer>>();

function assetDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

export function docsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(`${API}/openapi.json`, (c) => {
    documentText ??= JSON.stringify(openApiDocument());
    return c.body(documentText, 200, { "content-type": "application/json; charset=utf-8" });
  });

  app.get("/docs", swaggerUI({ url: `${API}/openapi.json`, baseUrl: DOCS_ASSETS, title: "Sluice API reference" }));

  app.get(`${DOCS_ASSETS}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param("file");
    if (!Object.hasOwn(docsAssetFiles, file)) throw new NotFoundError("docs asset", file);
    let bytes = assets.get(file);
    if (!bytes) {
      bytes = readFile(path.join(assetDir(), file));
      assets.set(file, bytes);
      bytes.catch(() => assets.delete(file));
    }
    return c.body(new Uint8Array(await bytes), 200, {
      "content-type": docsAssetFiles[file as keyof typeof docsAssetFiles],
      "cache-control": "public, max-age=86400",
    });
  });

  return app;
}
