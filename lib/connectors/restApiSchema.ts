// The rest_api connector's two documents: its connection_config (Querri's field names, secrets
// included, so it is encrypted and redacted like any config) and its `query`, a JSON document in
// dlt's rest_api vocabulary (path, params, data_selector, paginator) checked field by field.
import { z } from "zod";
import { compilePath } from "../sources/restApiSelectors.js";
import { ValidationError } from "../errors.js";
import { parseWith } from "../validation.js";

type Ctx = z.core.$RefinementCtx;

export const restApiAuthTypes = ["none", "bearer", "basic", "api_key", "oauth2"] as const;
export const DEFAULT_API_KEY_HEADER = "X-API-Key";
export const DEFAULT_TIMEOUT_SECONDS = 30;

// RFC 9110 token characters: what a header name may hold.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "a header name is letters, digits and !#$%&'*+.^_`|~-");
const headerValue = z.string().max(8192).regex(/^[^\r\n\0]*$/, "a header value cannot hold CR, LF or NUL");

// Header values are redacted by the name of the header; these names say nothing secret, so a
// credential under them would show in responses: it goes in the auth fields instead.
const credentialHeader = /^(authorization|proxy-authorization|cookie)$/i;

function checkBaseUrl(value: string, ctx: Ctx): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", path: ["base_url"], message: "base_url must be an absolute http:// or https:// URL" });
    return;
  }
  const problem =
    url.protocol !== "http:" && url.protocol !== "https:" ? "must start with http:// or https://"
    : url.username !== "" || url.password !== "" ? "cannot hold a user or password; use auth_type basic with username and password"
    : url.search !== "" || url.hash !== "" ? "cannot hold a query string or fragment; put query parameters in the query document's params"
    : undefined;
  if (problem) ctx.addIssue({ code: "custom", path: ["base_url"], message: `base_url ${problem}` });
}

const oauthConnection = z.strictObject({
  provider: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "provider names an OAUTH_PROVIDERS entry"),
  grant_key: z.string().min(16).max(200),
  access_token: z.string().min(1).max(16_384),
  refresh_token: z.string().min(1).max(16_384).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  refreshed_at: z.iso.datetime({ offset: true }).optional(),
  scope: z.string().max(4000).optional(),
});

const clientCredentialFields = ["token_url", "client_id", "client_secret"] as const;
const oauth2Fields = [...clientCredentialFields, "scopes", "audience", "client_auth"] as const;

/** oauth2 takes either a connected authorization (`oauth`) or the client-credentials fields; the other types neither. */
function checkOAuth2(cfg: Partial<Record<(typeof oauth2Fields)[number] | "oauth" | "auth_type", unknown>>, ctx: Ctx): void {
  const given = oauth2Fields.filter((field) => cfg[field] !== undefined);
  if (cfg.auth_type !== "oauth2") {
    const stray = cfg.oauth !== undefined ? "oauth" : given[0];
    if (stray) ctx.addIssue({ code: "custom", path: [stray], message: `${stray} goes with auth_type oauth2` });
    return;
  }
  if (cfg.oauth !== undefined) {
    if (given[0]) ctx.addIssue({ code: "custom", path: [given[0]], message: `${given[0]} is for the client-credentials grant; this connection was authorized through its provider (oauth)` });
    return;
  }
  if (given.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["auth_type"],
      message: "auth_type oauth2 needs token_url, client_id and client_secret (the client-credentials grant), or a connection made through GET /api/v1/oauth/{provider}/authorize",
    });
    return;
  }
  for (const field of clientCredentialFields) {
    if (cfg[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} is required with auth_type oauth2 (client credentials)` });
  }
  if (typeof cfg.token_url === "string") {
    const url = URL.canParse(cfg.token_url) ? new URL(cfg.token_url) : undefined;
    const problem =
      !url || (url.protocol !== "http:" && url.protocol !== "https:") ? "must be an absolute http:// or https:// URL"
      : url.username !== "" || url.password !== "" ? "cannot hold a user or password; use client_id and client_secret"
      : url.hash !== "" ? "cannot hold a fragment"
      : undefined;
    if (problem) ctx.addIssue({ code: "custom", path: ["token_url"], message: `token_url ${problem}` });
  }
}

export const restApiConfigSchema = z
  .strictObject({
    base_url: z.string().min(1).max(2000).describe("https://api.example.com/v1: each request goes to base_url + query.path"),
    auth_type: z
      .enum(restApiAuthTypes)
      .optional()
      .describe("none (default), bearer (auth_token), basic (username, password), api_key (api_key_header, api_key_value) or oauth2 (token_url, client_id, client_secret; or connected through /api/v1/oauth/{provider}/authorize)"),
    auth_token: headerValue.optional().describe("bearer token, sent as Authorization: Bearer <auth_token>"),
    api_key_header: headerName.optional().describe(`the header that carries api_key_value (default ${DEFAULT_API_KEY_HEADER})`),
    api_key_value: headerValue.optional(),
    username: z.string().max(1000).optional(),
    password: z.string().max(1000).optional(),
    headers: z.record(headerName, headerValue).optional().describe("extra headers sent with every request (not credentials: use the auth fields)"),
    timeout_seconds: z.number().positive().max(300).optional().describe(`per-request timeout (default ${DEFAULT_TIMEOUT_SECONDS})`),
    test_path: z
      .string()
      .max(2000)
      .regex(/^\/(?!\/)[^\s]*$/, "test_path must be a path starting with / (relative to base_url)")
      .optional()
      .describe("what a connection test requests (default /)"),
    // auth_type oauth2, machine to machine: the client-credentials grant at token_url.
    token_url: z.string().min(1).max(2000).optional().describe("oauth2 client credentials: the provider's token endpoint"),
    client_id: z.string().min(1).max(1000).optional(),
    client_secret: z.string().min(1).max(4000).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "a scope is printable ASCII without spaces, quotes or backslashes")).max(100).optional(),
    audience: z.string().min(1).max(2000).optional().describe("oauth2 client credentials: the audience parameter some providers ask for (Auth0)"),
    client_auth: z.enum(["basic", "post"]).optional().describe("how client_id and client_secret reach the token endpoint: HTTP Basic (default) or form fields"),
    // auth_type oauth2, connected by a user: what /api/v1/oauth/{provider}/callback stored.
    oauth: oauthConnection.optional().describe("set by the OAuth flow: the provider, the tokens (redacted) and their expiry"),
  })
  .superRefine((cfg, ctx) => {
    checkBaseUrl(cfg.base_url, ctx);
    checkOAuth2(cfg, ctx);
    const need = (field: "auth_token" | "api_key_value" | "username" | "password") => {
      if (cfg[field] === undefined || (field !== "password" && cfg[field] === "")) {
        ctx.addIssue({ code: "custom", path: [field], message: `${field} is required with auth_type ${cfg.auth_type}` });
      }
    };
    if (cfg.auth_type === "bearer") need("auth_token");
    if (cfg.auth_type === "basic") (["username", "password"] as const).forEach(need);
    if (cfg.auth_type === "api_key") need("api_key_value");
    if (cfg.auth_type === undefined) {
      const given = (["auth_token", "api_key_value", "password", "client_secret"] as const).find((field) => cfg[field] !== undefined);
      if (given) ctx.addIssue({ code: "custom", path: ["auth_type"], message: `auth_type is required when ${given} is given (bearer, basic, api_key or oauth2)` });
    }
    for (const name of Object.keys(cfg.headers ?? {})) {
      if (credentialHeader.test(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["headers", name],
          message: `headers.${name} would not be redacted: use auth_type bearer (auth_token), basic, or api_key with api_key_header "${name}"`,
        });
      }
    }
  });

export type RestApiConfig = z.output<typeof restApiConfigSchema>;

/** A path into a response (or a record): dotted, or JSONPath's plain subset. */
const responsePath = z
  .string()
  .min(1)
  .max(500)
  .superRefine((value, ctx) => {
    const compiled = compilePath(value);
    if (!Array.isArray(compiled)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a path: it ${compiled.problem}` });
  });
const paramName = z.string().min(1).max(200);

const stops = {
  stop_after_empty_page: z.boolean().default(true).describe("a page with no records ends the pull"),
  has_more_path: responsePath.optional().describe("a boolean in the response; false ends the pull (Stripe: has_more)"),
};

const jsonLink = z.strictObject({
  type: z.literal("json_link"),
  next_url_path: responsePath.describe("where the response holds the next page's URL; none ends the pull"),
  ...stops,
});
const headerLink = z.strictObject({
  type: z.literal("header_link"),
  links_next_key: z.string().min(1).default("next").describe("the rel of the Link header entry to follow"),
  ...stops,
});
const cursor = z.strictObject({
  type: z.literal("cursor"),
  cursor_path: responsePath.default("cursors.next").describe("the next cursor in the response, or in the last record: records[-1].id"),
  cursor_param: paramName.default("cursor"),
  ...stops,
});
const offset = z.strictObject({
  type: z.literal("offset"),
  limit: z.number().int().min(1).max(1_000_000),
  offset: z.number().int().min(0).default(0),
  offset_param: paramName.default("offset"),
  limit_param: paramName.default("limit"),
  total_path: responsePath.optional().describe("the total number of records; reached, it ends the pull"),
  maximum_offset: z.number().int().min(1).optional(),
  ...stops,
});
const pageNumber = z.strictObject({
  type: z.literal("page_number"),
  base_page: z.number().int().min(0).default(0),
  page: z.number().int().min(0).optional().describe("the first page to read (default base_page)"),
  page_param: paramName.default("page"),
  total_path: responsePath.optional().describe("the total number of pages; reached, it ends the pull"),
  maximum_page: z.number().int().min(0).optional(),
  ...stops,
});
const singlePage = z.strictObject({ type: z.literal("single_page") });

export const paginatorTypes = ["json_link", "header_link", "cursor", "offset", "page_number", "single_page"] as const;

const paginator = z.preprocess(
  // dlt's shorthand: "header_link" for {"type": "header_link"}.
  (value) => (typeof value === "string" ? { type: value } : value),
  z.discriminatedUnion("type", [jsonLink, headerLink, cursor, offset, pageNumber, singlePage], {
    error: (issue) => (issue.code === "invalid_union" ? `type must be one of ${paginatorTypes.join(", ")}` : undefined),
  }),
);

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

export const restApiQuerySchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(2000)
    .regex(/^(?![a-z][a-z0-9+.-]*:\/\/)[^\s]*$/i, "path is relative to base_url (no scheme or host) and has no spaces")
    .describe("/v1/customers"),
  params: z
    .record(z.string().min(1).max(200), z.union([paramValue, z.array(paramValue)]))
    .optional()
    .describe('query parameters; ":last_pull" becomes the watermark (ISO 8601), ":last_pull_epoch" its epoch seconds'),
  data_selector: responsePath.optional().describe("where the records array is: data, $.data.items; default the body when it is an array"),
  paginator: paginator.default({ type: "single_page" }),
});

export type RestApiQuery = z.output<typeof restApiQuerySchema>;
export type RestApiPaginator = RestApiQuery["paginator"];

function parseJsonDocument(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

const NOT_A_DOCUMENT = 'query must be a JSON object describing the request, e.g. {"path": "/v1/items", "data_selector": "data"}';

/** The query check of a rest_api connector body: each issue keeps its path under `query`. */
export function checkRestApiQuery(query: string | null | undefined, ctx: Ctx): void {
  if (!query) return;
  const parsed = parseJsonDocument(query);
  if ("problem" in parsed || parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
    ctx.addIssue({ code: "custom", path: ["query"], message: "problem" in parsed ? `${NOT_A_DOCUMENT} (${parsed.problem})` : NOT_A_DOCUMENT });
    return;
  }
  const result = restApiQuerySchema.safeParse(parsed.value);
  if (result.success) return;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: ["query", ...issue.path] } as Parameters<Ctx["addIssue"]>[0]);
}

/** The query document of a pull; throws a ValidationError naming the field (query.paginator.type). */
export function parseRestApiQuery(query: string): RestApiQuery {
  const parsed = parseJsonDocument(query);
  if ("problem" in parsed) throw new ValidationError(`${NOT_A_DOCUMENT} (${parsed.problem})`, "query");
  return parseWith(restApiQuerySchema, parsed.value, "query");
}
