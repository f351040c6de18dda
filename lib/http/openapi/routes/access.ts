// The OpenAPI registry of access and service routes: API keys, OAuth connections, the webhook
// secret, the liveness check, and this document with its reference page.
import { z } from "zod";
import { roles } from "../../../apiKeys/types.js";
import { refreshBody } from "../../routes/oauth.js";
import { secretBody } from "../../routes/webhooks.js";
import { idSchema } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { apiKey, createdApiKey, oauthRefresh, webhookSecretStatus } from "../schemas.js";

// Checked by hand in routes/apiKeys.ts (parseRole, the name's length); this says the same.
const apiKeyBody = z.strictObject({ role: z.enum(roles as ["viewer", "editor", "owner"]), name: z.string().max(200).optional() });
const provider = { provider: { description: "the OAuth provider's name", schema: z.string() } };
const redirect = { 302: { description: "to the provider (authorize) or back to the app (callback); Location says where" } };
const secret = { 200: { description: "which secret signs the tenant's webhooks (never the secret)", schema: webhookSecretStatus } };

export const accessOperations: OperationDoc[] = [
  { method: "post", path: `${API}/api-keys`, tag: "API keys", summary: "Create an API key in the caller's tenant (owner)", body: { schema: apiKeyBody }, responses: { 201: { description: "the key, shown only this once", schema: createdApiKey } } },
  { method: "get", path: `${API}/api-keys`, tag: "API keys", summary: "The tenant's API keys (owner)", responses: { 200: { description: "every key, without the keys themselves", schema: z.object({ items: z.array(apiKey), next_cursor: z.null() }) } } },
  { method: "delete", path: `${API}/api-keys/:keyId`, tag: "API keys", summary: "Revoke an API key (owner; not the calling key)", responses: { 204: { description: "revoked" } }, errors: [409] },
  {
    method: "get", path: `${API}/oauth/:provider/authorize`, tag: "OAuth", summary: "Start an OAuth connection (PKCE) for a connector",
    pathParams: provider, query: z.object({ connector_id: idSchema.optional() }).catchall(z.string()), responses: redirect,
  },
  {
    method: "get", path: `${API}/oauth/:provider/callback`, tag: "OAuth", summary: "Where the provider sends the browser back (its single-use state authenticates it)",
    public: true, pathParams: provider, query: z.object({ state: z.string(), code: z.string().optional(), error: z.string().optional() }), responses: redirect, errors: [400, 404],
  },
  { method: "post", path: `${API}/oauth/:provider/refresh`, tag: "OAuth", summary: "Refresh a connector's access token now", pathParams: provider, body: { schema: refreshBody }, responses: { 200: { description: "the token's state", schema: oauthRefresh } }, errors: [409] },
  { method: "get", path: `${API}/webhooks/secret`, tag: "Webhooks", summary: "Which webhook secret is in force (owner)", responses: secret },
  { method: "put", path: `${API}/webhooks/secret`, tag: "Webhooks", summary: "Set the tenant's webhook secret (owner; stored encrypted)", body: { schema: secretBody }, responses: secret },
  { method: "delete", path: `${API}/webhooks/secret`, tag: "Webhooks", summary: "Remove the tenant's webhook secret (owner)", responses: { 204: { description: "removed" } }, errors: [404] },
];

export const serviceOperations: OperationDoc[] = [
  { method: "get", path: "/health", tag: "Service", summary: "Liveness", public: true, responses: { 200: { description: "the service answers", schema: z.object({ status: z.literal("ok") }) } } },
  { method: "get", path: `${API}/openapi.json`, tag: "Service", summary: "This OpenAPI 3.1 document", public: true, responses: { 200: { description: "the document", schema: z.record(z.string(), z.unknown()) } } },
  { method: "get", path: "/docs", tag: "Service", summary: "The API reference page (Swagger UI)", public: true, responses: { 200: { description: "the page", contentType: "text/html" } } },
  {
    method: "get", path: "/docs/assets/swagger-ui-dist/:file", tag: "Service", summary: "The reference page's script and style sheet", public: true,
    pathParams: { file: { description: "swagger-ui-bundle.js or swagger-ui.css", schema: z.enum(["swagger-ui-bundle.js", "swagger-ui.css"]) } },
    responses: { 200: { description: "the file", contentType: ["text/javascript", "text/css"] } }, errors: [404],
  },
];
