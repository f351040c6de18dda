// OAuth errors. Those a caller sees extend the shared classes the HTTP layer already maps
// (400, 404, 409); OAuthTokenError stays inside: the flow and the sources translate it.
import { ConflictError, NotFoundError, SluiceError, ValidationError } from "../errors.js";

/** What a token endpoint refused or failed at; `error` is the RFC 6749 §5.2 code (or unreachable, invalid_response). */
export class OAuthTokenError extends SluiceError {
  readonly error: string;
  readonly status: number | undefined;
  constructor(error: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OAuthTokenError";
    this.error = error;
    this.status = status;
  }
}

/** A callback whose `state` is missing, unknown, used already, expired or issued for another provider. */
export class OAuthStateError extends ValidationError {
  constructor(message: string) {
    super(message, "state");
    this.name = "OAuthStateError";
  }
}

export class OAuthProviderNotFoundError extends NotFoundError {
  constructor(provider: string) {
    super("oauth provider", provider);
    this.name = "OAuthProviderNotFoundError";
  }
}

/** A manual refresh that failed; a refused refresh token (credentials_expired) also marks the connector error. */
export class OAuthRefreshError extends ConflictError {
  constructor(message: string, details: { connector_uuid: string; error_type: string }) {
    super(message, details);
    this.name = "OAuthRefreshError";
  }
}
