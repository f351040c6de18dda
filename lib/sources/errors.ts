// Typed source failures: what a connection test reports and what a failed pull records.
// Messages come from the server or driver, scrubbed of the connector's secrets by the caller.
import { SluiceError } from "../errors.js";
import { HostNotAllowedError } from "../net/errors.js";

export const sourceErrorTypes = [
  "connection_refused",
  "dns_not_found",
  "timeout",
  "authentication_failed",
  "database_not_found",
  "ssl_error",
  "query_error",
  /** An HTTP API answered with a failing status (REST sources); the status is the error's code. */
  "http_error",
  /** The OAuth provider refused the connector's refresh token (invalid_grant): it must be connected again. */
  "credentials_expired",
  /** The host resolves to an address the network policy refuses (metadata, link-local; private where not allowed). */
  "host_not_allowed",
  /** The SSH tunnel's server refused the key or password. */
  "ssh_authentication_failed",
  /** The SSH tunnel's server could not be reached, or it could not reach the database. */
  "ssh_connection_refused",
  /** The SSH tunnel's server presented a host key other than `known_host_key`. */
  "ssh_host_key_mismatch",
] as const;
export type SourceErrorType = (typeof sourceErrorTypes)[number];

export class SourceError extends SluiceError {
  readonly type: SourceErrorType;
  readonly code: string | undefined;
  constructor(type: SourceErrorType, message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceError";
    this.type = type;
    this.code = code;
  }
}

/** A command the server does not have because a module is not loaded (RedisJSON's JSON.GET). */
export class MissingModuleError extends SourceError {
  readonly module: string;
  constructor(module: string, message: string, options?: { cause?: unknown }) {
    super("query_error", message, "module_missing", options);
    this.name = "MissingModuleError";
    this.module = module;
  }
}

/** The guard's refusal behind an error, where a driver wrapped it (a socket error's cause). */
export function hostRefusalIn(error: unknown): HostNotAllowedError | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof HostNotAllowedError) return current;
  }
  return undefined;
}

/** Network-level causes every driver surfaces the same way (Node's errno codes). */
export function classifyNetworkError(error: unknown): SourceErrorType | undefined {
  if (hostRefusalIn(error)) return "host_not_allowed";
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) return "connection_refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(message)) return "dns_not_found";
  if (code === "ETIMEDOUT" || /timed? ?out|timeout/i.test(message)) return "timeout";
  if (/SSL|TLS|certificate|self[- ]signed|CERT_|EPROTO/i.test(`${String(code)} ${message}`)) return "ssl_error";
  return undefined;
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return code === undefined || code === null ? undefined : String(code);
}
