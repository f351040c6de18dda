// No undocumented route: every route createApp mounts has an operation in the OpenAPI document,
// and every operation a route. Hono's route table is built without calling any service, so the
// services are a stand-in that only has to exist.
import { describe, expect, it } from "vitest";
import { createApp } from "../../../lib/http/app.js";
import { openApiDocument, openApiPath } from "../../../lib/http/openapi/document.js";
import type { Services } from "../../../lib/runtime/services.js";

/** Any property, call or construction gives itself back: enough for route constructors that keep their deps. */
const standIn: any = new Proxy(function standIn() {}, {
  get: (_target, key) => (key === Symbol.toPrimitive ? () => 0 : key === "then" ? undefined : standIn),
  apply: () => standIn,
  construct: () => standIn,
});

function mountedRoutes(): string[] {
  const app = createApp(standIn as Services);
  const routes = app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${openApiPath(route.path)}`);
  return [...new Set(routes)].sort();
}

function documentedRoutes(): string[] {
  const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
  return Object.entries(paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe("every route is documented", () => {
  it("lists exactly the routes createApp mounts", () => {
    const mounted = mountedRoutes();
    const documented = documentedRoutes();
    expect(mounted.length).toBeGreaterThan(30);
    expect(mounted.filter((route) => !documented.includes(route)), "routes without an operation in lib/http/openapi/routes").toEqual([]);
    expect(documented.filter((route) => !mounted.includes(route)), "operations without a route").toEqual([]);
  });
});
