// Push-ingestion errors beyond the shared ones in lib/errors.ts; lib/http/errorMapping.ts maps
// them to status codes.
import { SluiceError } from "../errors.js";
import type { IngestionSummary } from "./types.js";

/** A webhook whose signature is missing, malformed, wrong or stale: nothing was read or stored. */
export class WebhookSignatureError extends SluiceError {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSignatureError";
  }
}

/** The request body could not be read to its end (the client went away, the connection broke). */
export class RequestBodyError extends SluiceError {
  constructor(options?: { cause?: unknown }) {
    super("the request body could not be read to its end", options);
    this.name = "RequestBodyError";
  }
}

/**
 * An ingestion stopped part-way: the store failed (`reason` "store", our fault) or the request
 * body broke off (`reason` "body"). `summary` says what was stored before, as does the
 * ingestion record.
 */
export class IngestionFailedError extends SluiceError {
  readonly summary: IngestionSummary;
  readonly reason: "store" | "body";
  constructor(summary: IngestionSummary, reason: "store" | "body", options?: { cause?: unknown }) {
    const why = reason === "body" ? "the request body broke off" : "storing failed";
    super(`ingestion ${summary.ingestion_id} stopped (${why}) after ${summary.accepted} record(s) were stored; re-sending is safe, stored records count as duplicates`, options);
    this.name = "IngestionFailedError";
    this.summary = summary;
    this.reason = reason;
  }
}
