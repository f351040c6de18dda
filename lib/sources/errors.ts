// Typed source failures: what a connection test reports and what a failed pull records.
// Messages come from the server or driver, scrubbed of the connector's secrets by the caller.
import { SluiceError } from "../errors.js";

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

/** Network-level causes every driver surfaces the same way (Node's errno codes). */
export function classifyNetworkError(error: unknown): SourceErrorType | undefined {
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
