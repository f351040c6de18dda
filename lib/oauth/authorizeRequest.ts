// The query of GET /oauth/{provider}/authorize: where the flow ends (a registered redirect_uri),
// the caller's own state, and the connector the tokens go to — one named by connector_id, or one
// to create, whose fields are validated here, before the user is sent to the provider.
import { connectorSchemas } from "../connectors/schemas.js";
import { ValidationError } from "../errors.js";
import { parseWith } from "../validation.js";
import type { OAuthProvider } from "./providers.js";

/** Connector fields the query may carry, and the connection_config fields among them. */
const connectorFields = ["name", "display_name", "collection", "record_type", "query", "name_column", "id_column", "batch_size", "schedule", "timezone", "description"] as const;
const configFields = ["base_url", "test_path", "timeout_seconds"] as const;
const numeric = new Set(["batch_size", "timeout_seconds"]);
const flowFields = ["redirect_uri", "state", "connector_id"] as const;
const known = new Set<string>([...connectorFields, ...configFields, ...flowFields]);

const MAX_APP_STATE = 500;

export interface AuthorizeInput {
  redirect_uri: string;
  app_state?: string;
  connector_id?: string;
  /** A create body without its tokens (connection_config holds base_url and the like). */
  connector?: Record<string, unknown>;
}

// Shaped like the tokens the callback stores, so the body is validated as it will be created.
const placeholder = (provider: string) => ({ provider, grant_key: "0".repeat(43), access_token: "pending" });

const value = (name: string, text: string): unknown => (numeric.has(name) && /^\d+(\.\d+)?$/.test(text) ? Number(text) : text);

export function parseAuthorizeQuery(providerName: string, provider: OAuthProvider, query: Record<string, string>): AuthorizeInput {
  const unknown = Object.keys(query).find((name) => !known.has(name));
  if (unknown) throw new ValidationError(`${unknown.slice(0, 100)} is not a known parameter of authorize`, unknown.slice(0, 100));
  const redirect = query.redirect_uri ?? provider.redirect_uris[0]!;
  if (!provider.redirect_uris.includes(redirect)) {
    throw new ValidationError(`redirect_uri is not one of the redirect URIs registered for ${providerName} (OAUTH_PROVIDERS.${providerName}.redirect_uris)`, "redirect_uri");
  }
  const appState = query.state;
  if (appState !== undefined && (appState.length > MAX_APP_STATE || !/^[\x20-\x7E]*$/.test(appState))) {
    throw new ValidationError(`state must be at most ${MAX_APP_STATE} printable ASCII characters`, "state");
  }
  const given = [...connectorFields, ...configFields].filter((name) => query[name] !== undefined);
  const base = { redirect_uri: redirect, ...(appState ? { app_state: appState } : {}) };
  if (query.connector_id !== undefined) {
    if (given[0]) throw new ValidationError(`give connector_id (to connect an existing connector) or the fields of a new one, not both (${given[0]})`, given[0]);
    return { ...base, connector_id: query.connector_id };
  }
  const config: Record<string, unknown> = { base_url: provider.base_url };
  const body: Record<string, unknown> = { connector_type: "rest_api", name: query.name ?? query.display_name ?? `${providerName} (OAuth)` };
  for (const name of configFields) if (query[name] !== undefined) config[name] = value(name, query[name]);
  for (const name of connectorFields) if (query[name] !== undefined && name !== "display_name" && name !== "name") body[name] = value(name, query[name]);
  if (config.base_url === undefined) {
    throw new ValidationError(`base_url is required: the API the connector reads (or set OAUTH_PROVIDERS.${providerName}.base_url)`, "base_url");
  }
  body.connection_config = config;
  parseWith(connectorSchemas.rest_api, { ...body, connection_config: { ...config, auth_type: "oauth2", oauth: placeholder(providerName) } });
  return { ...base, connector: body };
}
