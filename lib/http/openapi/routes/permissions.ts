// The OpenAPI registry of per-connector sharing: grant, list and revoke another key's level on
// one connector (owners of the connector only).
import { z } from "zod";
import { roles } from "../../../apiKeys/types.js";
import { grantBody } from "../../routes/permissions.js";
import { API, type OperationDoc } from "../registry.js";

const role = z.enum(roles);
const grant = z
  .object({
    connector_id: z.string(),
    key_id: z.string().describe("the API key the grant is for"),
    permission: role.describe("its level on this connector; it acts by this or its tenant role, whichever is higher"),
    granted_by: z.object({ key_id: z.string(), name: z.string().nullable() }).describe("the API key that granted it"),
    created_at: z.string(),
    updated_at: z.string(),
    key_name: z.string().nullable(),
    key_role: role.nullable().describe("the key's tenant role"),
  })
  .meta({ id: "ConnectorGrant" });

const owners = "Needs the owner role, or an owner grant on the connector.";

export const permissionOperations: OperationDoc[] = [
  {
    method: "post", path: `${API}/connectors/:id/permissions`, tag: "Sharing", summary: "Grant another key of the tenant viewer, editor or owner on this connector",
    description: `${owners} \`user_id\` (Querri's name) is accepted for \`key_id\`. Granting a key again changes its level.`,
    body: { schema: grantBody }, responses: { 201: { description: "granted", schema: grant }, 200: { description: "the key's earlier grant changed", schema: grant } },
  },
  {
    method: "get", path: `${API}/connectors/:id/permissions`, tag: "Sharing", summary: "The connector's grants", description: owners,
    responses: { 200: { description: "every grant to a key that still exists", schema: z.object({ items: z.array(grant), next_cursor: z.null() }) } },
  },
  {
    method: "delete", path: `${API}/connectors/:id/permissions/:keyId`, tag: "Sharing", summary: "Revoke a key's grant on the connector", description: owners,
    responses: { 204: { description: "revoked" } },
  },
];
