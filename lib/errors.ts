// Service-level errors shared by every module. The HTTP layer (lib/http/errorMapping.ts) maps
// these classes to status codes; nothing else builds an error response.

export interface ErrorOptions {
  cause?: unknown;
}

export class SluiceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SluiceError";
  }
}

/** A request the caller can fix: bad field, malformed body, unknown type. */
export class ValidationError extends SluiceError {
  readonly field: string | undefined;
  readonly details: unknown;
  constructor(message: string, field?: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = "ValidationError";
    this.field = field;
    this.details = details;
  }
}

export class AuthenticationError extends SluiceError {
  constructor(message = "a valid API key is required: Authorization: Bearer <key>") {
    super(message);
    this.name = "AuthenticationError";
  }
}

export class ForbiddenError extends SluiceError {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** Also what another tenant's resource answers: its existence is not disclosed. */
export class NotFoundError extends SluiceError {
  readonly resource: string;
  constructor(resource: string, id: string) {
    super(`${resource} ${JSON.stringify(id)} not found`);
    this.name = "NotFoundError";
    this.resource = resource;
  }
}

export class ConflictError extends SluiceError {
  readonly details: unknown;
  constructor(message: string, details?: unknown) {
    super(message);
    this.name = "ConflictError";
    this.details = details;
  }
}

export class PayloadTooLargeError extends SluiceError {
  readonly limit: string;
  constructor(message: string, limit: string) {
    super(message);
    this.name = "PayloadTooLargeError";
    this.limit = limit;
  }
}

export class UnsupportedMediaTypeError extends SluiceError {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedMediaTypeError";
  }
}

/** Startup configuration that cannot work; the process should not serve. */
export class ConfigurationError extends SluiceError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigurationError";
  }
}
