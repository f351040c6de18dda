// The OpenAPI 3.1 document of the HTTP API, built from the route registries (routes/*.ts) and
// the zod schemas the routes validate with: a pure function of the code, no services needed.
import { z } from "zod";
import { idSchema } from "./parameters.js";
import { API, type Method, type OperationDoc, type ResponseDoc } from "./registry.js";
import { accessOperations, serviceOperations } from "./routes/access.js";
import { catalogOperations } from "./routes/catalog.js";
import { connectorOperations } from "./routes/connectors.js";
import { eventOperations } from "./routes/events.js";
import { ingestOperations } from "./routes/ingest.js";
import { permissionOperations } from "./routes/permissions.js";
import { pullOperations } from "./routes/pulls.js";
import { errorBody } from "./schemas.js";

/** Every route createApp mounts (test/unit/openapi checks both ways). */
export const operations: OperationDoc[] = [
  ...connectorOperations,
  ...pullOperations,
  ...catalogOperations,
  ...ingestOperations,
  ...permissionOperations,
  ...accessOperations,
  ...eventOperations,
  ...serviceOperations,
];

type JsonSchema = Record<string, unknown>;

const errorDescriptions: Record<number, string> = {
  400: "invalid input (validation_error, with the field), or a failed connection test (connection_failed)",
  401: "no valid API key (or, for a webhook, no valid signature)",
  403: "the API key's role does not allow it",
  404: "no such resource (or one of another tenant)",
  409: "conflict: a pull is running, or the item changed meanwhile",
  413: "the body is larger than the limit",
  415: "the Content-Type is not one the route takes",
  429: "over the API key's rate limit: retry after Retry-After seconds",
  500: "internal error: quote the request_id",
};

/** `/api/v1/records/:collection/:sourceId{.+}` → `/api/v1/records/{collection}/{sourceId}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
}

function pathParamNames(honoPath: string): string[] {
  return [...honoPath.matchAll(/:(\w+)/g)].map((match) => match[1]!);
}

/** Error statuses of an operation: its own, and those every route of its kind can answer. */
export function errorStatuses(op: OperationDoc): number[] {
  const statuses = new Set([...(op.errors ?? []), 500]);
  if (!op.public) [401, 403, 429].forEach((status) => statuses.add(status));
  const params = pathParamNames(op.path);
  if (params.length) statuses.add(404);
  if (op.body || op.query || params.some((name) => op.pathParams?.[name]?.schema)) statuses.add(400);
  if (op.body && (op.body.contentType ?? "application/json") === "application/json") [413, 415].forEach((status) => statuses.add(status));
  return [...statuses].sort((a, b) => a - b);
}

/** Builds the document: schemas named with `.meta({id})` become components, referenced by $ref. */
class DocumentBuilder {
  readonly components: Record<string, JsonSchema> = {};

  schema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const { $schema: _s, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [name, def] of Object.entries($defs ?? {})) this.components[name] ??= this.rewriteRefs(def) as JsonSchema;
    return this.rewriteRefs(rest) as JsonSchema;
  }

  private rewriteRefs(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.rewriteRefs(item));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, key === "$ref" && typeof item === "string" ? item.replace("#/$defs/", "#/components/schemas/") : this.rewriteRefs(item)]),
    );
  }

  parameters(op: OperationDoc): JsonSchema[] {
    const path = pathParamNames(op.path).map((name) => {
      const doc = op.pathParams?.[name];
      return { name, in: "path", required: true, description: doc?.description ?? (name === "id" ? "the id" : `the ${name.replace(/Id$/, "")} id`), schema: this.schema(doc?.schema ?? idSchema, "input") };
    });
    const query = Object.entries(op.query?.shape ?? {}).map(([name, field]) => {
      const schema = this.schema(field as z.ZodType, "input");
      const { description, ...rest } = schema;
      return { name, in: "query", required: !(field as z.ZodType).safeParse(undefined).success, ...(description ? { description } : {}), schema: rest };
    });
    return [...path, ...query];
  }

  response(doc: ResponseDoc): JsonSchema {
    if (doc.schema) return { description: doc.description, content: { "application/json": { schema: this.schema(doc.schema, "output") } } };
    if (doc.contentType) {
      const types = Array.isArray(doc.contentType) ? doc.contentType : [doc.contentType];
      return { description: doc.description, content: Object.fromEntries(types.map((type) => [type, { schema: { type: "string" } }])) };
    }
    return { description: doc.description };
  }

  operation(op: OperationDoc): JsonSchema {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, doc] of Object.entries(op.responses)) responses[status] = this.response(doc);
    for (const status of errorStatuses(op)) responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
    const parameters = this.parameters(op);
    return {
      operationId: operationId(op),
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.public ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.body.required ?? true,
              ...(op.body.description ? { description: op.body.description } : {}),
              content: { [op.body.contentType ?? "application/json"]: { schema: this.schema(op.body.schema, "input") } },
            },
          }
        : {}),
      responses,
    };
  }
}

/** `get` `/api/v1/connectors/{id}/runs` → `getConnectorRunsById`: stable, unique, readable in an SDK. */
export function operationId(op: Pick<OperationDoc, "method" | "path">): string {
  const segments = op.path.replace(API, "").split("/").filter(Boolean);
  const words = segments.filter((segment) => !segment.startsWith(":")).flatMap((segment) => segment.split(/[-_.]/));
  const params = pathParamNames(op.path);
  const camel = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return op.method + words.map(camel).join("") + (params.length ? "By" + params.map(camel).join("And") : "");
}

const retryAfter = { "Retry-After": { description: "seconds until the request may be retried", schema: { type: "integer", minimum: 0 } } };

export function openApiDocument(): Record<string, unknown> {
  const builder = new DocumentBuilder();
  const paths: Record<string, Partial<Record<Method, JsonSchema>>> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    (paths[path] ??= {})[op.method] = builder.operation(op);
  }
  const error = builder.schema(errorBody, "output");
  const responses = Object.fromEntries(
    Object.entries(errorDescriptions).map(([status, description]) => [
      `Error${status}`,
      { description, ...(status === "429" ? { headers: retryAfter } : {}), content: { "application/json": { schema: error } } },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Sluice",
      version: "1",
      description: "Serverless data connectors: database pulls, push ingestion, envelope-encrypted credentials. Every route but the few marked otherwise needs `Authorization: Bearer <api key>`.",
    },
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "an API key (`npm run keys -- create` or POST /api/v1/api-keys)" } },
      schemas: builder.components,
      responses,
    },
  };
}
