// The token endpoint of RFC 6749 §3.2: one form POST per grant (authorization_code,
// refresh_token, client_credentials), the client authenticated by HTTP Basic or form fields, the
// answer checked, and every failure an OAuthTokenError scrubbed of the secrets it was sent.
import { Buffer } from "node:buffer";
import { scrubSecrets } from "../connectors/redaction.js";
import { classifyNetworkError, SourceError } from "../sources/errors.js";
import { guardedFetch } from "../net/guardedFetch.js";
import { OAuthTokenError } from "./errors.js";

export interface TokenClient {
  token_url: string;
  client_id: string;
  client_secret: string;
  /** basic: Authorization: Basic (RFC 6749's default); post: client_id and client_secret in the form. */
  client_auth?: "basic" | "post";
}

/** What a token endpoint answered, with `expires_in` made an instant. */
export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  /** ISO 8601; absent when the provider does not say. */
  expires_at?: string;
  scope?: string;
}

const TIMEOUT_MS = 30_000;
const MAX_BODY = 1024 * 1024;

// application/x-www-form-urlencoded, as §2.3.1 asks of the Basic credentials.
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
}

/** One grant at the token endpoint. `grant` holds grant_type and its parameters. */
export async function requestTokens(client: TokenClient, grant: Record<string, string>, options: { signal?: AbortSignal; now?: () => number } = {}): Promise<IssuedTokens> {
  const secrets = [client.client_secret, ...Object.entries(grant).filter(([name]) => name !== "grant_type" && name !== "scope").map(([, value]) => value)];
  const fail = (error: string, description: string, status?: number, cause?: unknown) =>
    new OAuthTokenError(error, scrubSecrets(description, secrets), status, { cause });
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "user-agent": "sluice" };
  if ((client.client_auth ?? "basic") === "basic") {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(client.client_id)}:${formEncode(client.client_secret)}`).toString("base64")}`;
  } else {
    form.set("client_id", client.client_id);
    form.set("client_secret", client.client_secret);
  }
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const host = URL.canParse(client.token_url) ? new URL(client.token_url).host : "the token endpoint";
  let response: Response;
  let text: string;
  try {
    // Not followed: a redirect would carry the client's credentials to wherever it points. The
    // network guard checks the endpoint's host (a refusal is `unreachable`, its cause the refusal).
    response = await guardedFetch(client.token_url, { method: "POST", headers, body: form, signal });
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = (error as Error)?.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : String(((error as Error)?.cause as Error)?.message ?? (error as Error)?.message ?? error);
    throw fail("unreachable", `cannot reach the token endpoint at ${host}: ${reason}`, undefined, error);
  }
  if (text.length > MAX_BODY) throw fail("invalid_response", `the token endpoint at ${host} answered more than ${MAX_BODY} bytes`, response.status);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = field(body, "error");
    const description = field(body, "error_description");
    const code = typeof error === "string" && error !== "" ? error : response.status >= 300 && response.status < 400 ? "redirected" : "invalid_response";
    const detail = typeof description === "string" && description !== "" ? `: ${description.slice(0, 300)}` : "";
    throw fail(code, `the token endpoint at ${host} answered ${response.status} ${code}${detail}`, response.status);
  }
  const access = field(body, "access_token");
  if (typeof access !== "string" || access === "") throw fail("invalid_response", `the token endpoint at ${host} answered ${response.status} without an access_token`, response.status);
  const type = field(body, "token_type");
  if (typeof type === "string" && type.toLowerCase() !== "bearer") {
    throw fail("invalid_response", `the token endpoint at ${host} issued a ${type.slice(0, 40)} token; only Bearer tokens are supported`, response.status);
  }
  const expiresIn = Number(field(body, "expires_in"));
  const refresh = field(body, "refresh_token");
  const scope = field(body, "scope");
  const now = options.now?.() ?? Date.now();
  return {
    access_token: access,
    ...(typeof refresh === "string" && refresh !== "" ? { refresh_token: refresh } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expires_at: new Date(now + expiresIn * 1000).toISOString() } : {}),
    ...(typeof scope === "string" ? { scope } : {}),
  };
}

/** How long before `expires_at` a token is renewed: a minute, or a fifth of its life when that is shorter. */
export function renewalMarginMs(expiresAt: string | undefined | null, issuedAt: string | number | undefined | null): number {
  const expires = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  const issued = typeof issuedAt === "number" ? issuedAt : issuedAt ? Date.parse(issuedAt) : Number.NaN;
  const life = expires - issued;
  return Number.isFinite(life) && life > 0 ? Math.min(60_000, life / 5) : 60_000;
}

/** True when a token expiring at `expiresAt` should be renewed before its next use. */
export function isExpiring(expiresAt: string | undefined | null, issuedAt: string | number | undefined | null, now = Date.now()): boolean {
  if (!expiresAt) return false;
  const expires = Date.parse(expiresAt);
  return !Number.isFinite(expires) || now >= expires - renewalMarginMs(expiresAt, issuedAt);
}

/**
 * A token endpoint failure as a source reports it: a refused refresh token is credentials_expired,
 * refused client credentials authentication_failed, an unreachable endpoint its network type.
 */
export function sourceErrorOf(error: OAuthTokenError, what: string): SourceError {
  const message = `${what}: ${error.message}`;
  if (error.error === "invalid_grant") return new SourceError("credentials_expired", message, error.error, { cause: error });
  if (error.error === "unreachable") {
    const cause = (error.cause as { cause?: unknown })?.cause ?? error.cause;
    const type = (error.cause as Error)?.name === "TimeoutError" ? "timeout" : (classifyNetworkError(cause) ?? "connection_refused");
    return new SourceError(type, message, undefined, { cause: error });
  }
  if (["invalid_client", "unauthorized_client", "invalid_scope", "access_denied"].includes(error.error) || error.status === 401 || error.status === 403) {
    return new SourceError("authentication_failed", message, error.error, { cause: error });
  }
  return new SourceError("http_error", message, error.status === undefined ? error.error : String(error.status), { cause: error });
}
