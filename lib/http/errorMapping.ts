// The one place where errors become HTTP responses: `{error, message, field?, details?, request_id}`.
// Unknown errors answer 500 with only the request id; their detail goes to the log.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConnectionFailedError } from "../connectors/errors.js";
import { CryptoError } from "../crypto/errors.js";
import { IngestionFailedError, WebhookSignatureError } from "../ingest/errors.js";
import { HostNotAllowedError } from "../net/errors.js";
import { RateLimitedError } from "../rateLimit/errors.js";
import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.js";

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  details?: unknown;
  test_results?: unknown;
  request_id: string;
}

export interface MappedError {
  status: ContentfulStatusCode;
  body: ErrorBody;
  /** False for errors a caller caused; true when the log needs the detail. */
  unexpected: boolean;
}

export function mapError(error: unknown, requestId: string): MappedError {
  const expected = (status: ContentfulStatusCode, code: string, message: string, extra: Partial<ErrorBody> = {}): MappedError => ({
    status,
    body: { error: code, message, ...extra, request_id: requestId },
    unexpected: false,
  });
  if (error instanceof ValidationError) {
    const extra: Partial<ErrorBody> = {};
    if (error.field !== undefined) extra.field = error.field;
    if (error.details !== undefined) extra.details = error.details;
    return expected(400, "validation_error", error.message, extra);
  }
  if (error instanceof ConnectionFailedError) {
    return expected(400, "connection_failed", error.message, {
      details: error.detail,
      test_results: { error_type: error.errorType, attempted_at: error.attemptedAt, ...(error.code ? { code: error.code } : {}) },
    });
  }
  if (error instanceof HostNotAllowedError) return expected(400, "host_not_allowed", error.message, { details: { host: error.host, range: error.range } });
  if (error instanceof AuthenticationError) return expected(401, "unauthorized", error.message);
  if (error instanceof WebhookSignatureError) return expected(401, "invalid_signature", error.message);
  // What was stored before a push stopped is in `details` (and in GET /ingestions/{id}).
  if (error instanceof IngestionFailedError) {
    if (error.reason === "body") return expected(400, "ingestion_interrupted", error.message, { details: error.summary });
    return { ...expected(500, "ingestion_failed", error.message, { details: error.summary }), unexpected: true };
  }
  if (error instanceof ForbiddenError) return expected(403, "forbidden", error.message);
  if (error instanceof NotFoundError) return expected(404, "not_found", error.message);
  if (error instanceof ConflictError) {
    return expected(409, "conflict", error.message, error.details === undefined ? {} : { details: error.details });
  }
  if (error instanceof PayloadTooLargeError) return expected(413, "payload_too_large", error.message, { details: { limit: error.limit } });
  if (error instanceof UnsupportedMediaTypeError) return expected(415, "unsupported_media_type", error.message);
  // Retry-After and RateLimit-* are set by the limiter on the response.
  if (error instanceof RateLimitedError) {
    return expected(429, "rate_limited", error.message, { details: { bucket: error.bucket, limit: error.decision.limit, retry_after_seconds: error.decision.retryAfterSeconds } });
  }
  // A stored envelope that no longer opens is the operator's problem (key ring), not the caller's.
  if (error instanceof CryptoError) {
    return {
      status: 500,
      body: { error: "encryption_error", message: "stored credentials could not be decrypted; check the master key configuration", request_id: requestId },
      unexpected: true,
    };
  }
  return {
    status: 500,
    body: { error: "internal_error", message: "internal error; quote the request_id when reporting it", request_id: requestId },
    unexpected: true,
  };
}
