// The OAuth 2.0 providers an operator registers (OAUTH_PROVIDERS, JSON): where users authorize,
// where codes become tokens, this service's client at the provider, and the app pages a finished
// flow may return to. Read once by lib/runtime/config.ts; a message never quotes a value.
import { z } from "zod";
import { ConfigurationError } from "../errors.js";

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
// RFC 6749 scope-token: printable ASCII but space, " and \.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const absoluteUrl = z
  .string()
  .max(2000)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an absolute http:// or https:// URL");

export const oauthProviderSchema = z.strictObject({
  authorize_url: absoluteUrl.describe("the provider's authorization endpoint"),
  token_url: absoluteUrl.describe("the provider's token endpoint"),
  client_id: z.string().min(1).max(1000),
  client_secret: z.string().min(1).max(4000),
  scopes: z.array(z.string().regex(SCOPE_TOKEN, "a scope is printable ASCII without spaces, quotes or backslashes")).default([]),
  /** The app pages a finished flow may redirect to (exact match): `redirect_uri` must be one of them. */
  redirect_uris: z.array(absoluteUrl).min(1),
  /** Where the provider sends the user back; default this service's own /api/v1/oauth/{provider}/callback. */
  callback_url: absoluteUrl.optional(),
  /** Extra authorization request parameters (Google: access_type=offline, prompt=consent). */
  authorize_params: z.record(z.string().min(1), z.string()).optional(),
  /** How the client authenticates at the token endpoint: HTTP Basic (RFC 6749's default) or form fields. */
  client_auth: z.enum(["basic", "post"]).default("basic"),
  /** The API's base URL for connectors created through this provider when the flow names none. */
  base_url: absoluteUrl.optional(),
});

export type OAuthProvider = z.output<typeof oauthProviderSchema>;
export type OAuthProviders = Readonly<Record<string, OAuthProvider>>;

const providersSchema = z.record(z.string().regex(PROVIDER_NAME, "a provider name is 1-63 of a-z, 0-9, _ and -, starting with a letter or digit"), oauthProviderSchema);

export function isProviderName(value: string): boolean {
  return PROVIDER_NAME.test(value);
}

/** The providers in `text` (JSON); none when unset. Throws a ConfigurationError naming `variable` and the field. */
export function parseOAuthProviders(text: string | undefined, variable = "OAUTH_PROVIDERS"): OAuthProviders {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it failed on; the text holds client secrets, so only the position is kept.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ConfigurationError(`${variable} is not valid JSON${at ? ` (at position ${at})` : ""}; expected {"<provider>": {"authorize_url": …}}`);
  }
  const result = providersSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = [variable, ...issue.path.map(String)].join(".");
  const message =
    issue.code === "unrecognized_keys" ? `${issue.keys.join(", ")} is not a known field`
    : issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message)
    : issue.message.replace(/^Invalid input: /, "");
  throw new ConfigurationError(`${where}: ${message}`);
}
