// The OpenAPI document: valid OpenAPI 3.1 by a standard validator, with the request schemas the
// routes validate with (new connection_config fields appear without touching the document).
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { connectionConfigSchemas } from "../../../lib/connectors/schemas.js";
import { connectorTypes } from "../../../lib/connectors/types.js";
import { openApiDocument, operationId, operations } from "../../../lib/http/openapi/document.js";

const document = openApiDocument() as any;

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("is a pure function of the code: the same document every time", () => {
    expect(openApiDocument()).toEqual(document);
  });

  it("gives every operation a unique operationId", () => {
    const ids = operations.map(operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has the bearer security scheme, and only the public routes opt out of it", () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    const open = Object.entries(document.paths).flatMap(([path, methods]: [string, any]) =>
      Object.entries(methods).flatMap(([method, op]: [string, any]) => (op.security?.length === 0 ? [`${method.toUpperCase()} ${path}`] : [])),
    );
    expect(open.sort()).toEqual(["GET /api/v1/oauth/{provider}/callback", "GET /api/v1/openapi.json", "GET /docs", "GET /docs/assets/swagger-ui-dist/{file}", "GET /health"]);
  });

  it("describes the create body of every connector type with its connection_config schema's fields", () => {
    const body = document.paths["/api/v1/connectors"].post.requestBody.content["application/json"].schema;
    const variants: any[] = body.anyOf ?? body.oneOf;
    expect(variants.map((variant) => variant.properties.connector_type.const).sort()).toEqual([...connectorTypes].sort());
    for (const variant of variants) {
      const type = variant.properties.connector_type.const as keyof typeof connectionConfigSchemas;
      const fields = Object.keys((connectionConfigSchemas[type] as any).shape ?? {});
      const documented = Object.keys(variant.properties.connection_config.properties ?? {});
      for (const field of fields) expect(documented, `${type}.connection_config.${field}`).toContain(field);
    }
  });

  it("gives every operation its error responses, with the one error body", () => {
    const get = document.paths["/api/v1/connectors/{id}"].get;
    expect(Object.keys(get.responses).sort()).toEqual(["200", "401", "403", "404", "429", "500"]);
    expect(document.components.responses.Error404.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(document.components.schemas.Error.required).toEqual(["error", "message", "request_id"]);
    const create = document.paths["/api/v1/connectors"].post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "400", "409", "413", "415"]));
  });

  it("documents query parameters and path parameters of a route", () => {
    const list = document.paths["/api/v1/connectors"].get.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(list).toEqual(expect.arrayContaining(["query:type", "query:status", "query:limit", "query:cursor", "query:include_available"]));
    const record = document.paths["/api/v1/records/{collection}/{recordType}/{sourceId}"].get.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(record).toEqual(["path:collection", "path:recordType", "path:sourceId"]);
  });

  it("refers only to components that exist", () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const [, kind, name] = /#\/components\/(\w+)\/(\w+)/.exec(ref) ?? [];
      expect(document.components[kind!]?.[name!], ref).toBeDefined();
    }
  });
});
