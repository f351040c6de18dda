// The OpenAPI registry of the connector routes: CRUD, disable/enable, the connector-types
// catalogue, and Qarion's space-scoped routes onto the same handlers.
import { z } from "zod";
import { connectionConfigSchemas, connectorSchemas, patchableFields } from "../../../connectors/schemas.js";
import { connectorStatuses, connectorTypes } from "../../../connectors/types.js";
import { pageQuery, spaceParams } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { connectorList, connectorTypeList, connectorView, spaceConnectorView } from "../schemas.js";

const aliasNote =
  "Querri's and Qarion's names are accepted too: `type`, `display_name`, `config` for connector_type, name, connection_config; " +
  "`credentials` (merged into connection_config) and the type name `postgres`. See field_aliases in GET /connector-types.";

const createBody = z.union(Object.values(connectorSchemas)).describe(`A connector of one type, told apart by connector_type. ${aliasNote}`);

/** An object schema's fields, all optional; other schemas as they are. */
function partialOf(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodObject ? z.strictObject(schema.shape).partial() : schema;
}

// A PATCH is a JSON merge patch of the stored settings: any patchable field, connection_config
// merged into the stored one (null removes a field), re-validated whole against the type's schema.
const patchShape = Object.fromEntries(
  patchableFields.filter((field) => field !== "connection_config").map((field) => [field, connectorSchemas.postgresql.shape[field]]),
);
const patchBody = z
  .strictObject({
    ...patchShape,
    connection_config: z.union(Object.values(connectionConfigSchemas).map(partialOf)).describe("merged into the stored config; null removes a field"),
  })
  .partial()
  .describe(`A JSON merge patch; connector_type and space cannot change. ${aliasNote}`);

const disableBody = z.strictObject({ reason: z.string().max(500).optional() });

const listQuery = z.object({
  type: z.enum(connectorTypes).optional().describe("only connectors of this type (an alias like postgres too)"),
  status: z.enum(connectorStatuses).optional(),
  space: z.string().optional().describe("only connectors of this space"),
  include_available: z.boolean().default(true).optional().describe("also list the types that can be created"),
  ...pageQuery,
});
const forceQuery = z.object({ force: z.boolean().default(false).optional().describe("delete even while a pull runs") });

const tag = "Connectors";
const one = { 200: { description: "the connector", schema: connectorView } };
const spaceOne = { 200: { description: "the connector, its config as `config`", schema: spaceConnectorView } };
const SPACE = `${API}/catalog/spaces/:slug/connectors`;

export const connectorOperations: OperationDoc[] = [
  { method: "get", path: `${API}/connector-types`, tag, summary: "What can be created, with each type's config JSON Schema", responses: { 200: { description: "the types", schema: connectorTypeList } } },
  {
    method: "post", path: `${API}/connectors`, tag, summary: "Create a connector",
    description: "With test_connection: true the connection is tested first, and a failure is a 400 connection_failed.",
    body: { schema: createBody }, responses: { 201: { description: "the connector created", schema: connectorView } }, errors: [409],
  },
  { method: "get", path: `${API}/connectors`, tag, summary: "List connectors", query: listQuery, responses: { 200: { description: "a page of connectors", schema: connectorList } } },
  { method: "get", path: `${API}/connectors/:id`, tag, summary: "Read a connector", responses: one },
  { method: "patch", path: `${API}/connectors/:id`, tag, summary: "Update a connector (409 while its pull runs)", body: { schema: patchBody }, responses: one, errors: [409] },
  { method: "delete", path: `${API}/connectors/:id`, tag, summary: "Delete a connector (409 while its pull runs, unless force)", query: forceQuery, responses: { 204: { description: "deleted" } }, errors: [409] },
  {
    method: "post", path: `${API}/connectors/:id/disable`, tag, summary: "Pause a connector and its schedule",
    body: { schema: disableBody, required: false }, responses: one, errors: [409],
  },
  { method: "post", path: `${API}/connectors/:id/enable`, tag, summary: "Resume a disabled connector", responses: one, errors: [409] },
  { method: "get", path: SPACE, tag, summary: "Every connector of a space (Qarion)", pathParams: spaceParams, responses: { 200: { description: "the space's connectors", schema: z.array(spaceConnectorView) } } },
  { method: "post", path: SPACE, tag, summary: "Create a connector in a space (Qarion)", pathParams: spaceParams, body: { schema: createBody }, responses: { 201: spaceOne[200] }, errors: [409] },
  { method: "get", path: `${SPACE}/:id`, tag, summary: "Read a connector of a space (Qarion)", pathParams: spaceParams, responses: spaceOne },
  { method: "patch", path: `${SPACE}/:id`, tag, summary: "Update a connector of a space (Qarion)", pathParams: spaceParams, body: { schema: patchBody }, responses: spaceOne, errors: [409] },
  { method: "delete", path: `${SPACE}/:id`, tag, summary: "Delete a connector of a space (Qarion)", pathParams: spaceParams, query: forceQuery, responses: { 204: { description: "deleted" } }, errors: [409] },
];
