// Errors of the rate limiter; lib/http/errorMapping.ts answers them 429.
import { SluiceError } from "../errors.js";
import type { RateDecision } from "./contract.js";

/** The caller's bucket is empty: nothing was done; retry after `decision.retryAfterSeconds`. */
export class RateLimitedError extends SluiceError {
  constructor(
    readonly bucket: "api_key" | "webhook" | "stream",
    readonly decision: RateDecision,
  ) {
    super(`rate limit exceeded (${bucket === "api_key" ? "this API key's requests" : bucket === "webhook" ? "webhook pushes to this collection and record type" : "NDJSON streams of this API key"}: ${decision.limit} at once); retry after ${decision.retryAfterSeconds} s`);
    this.name = "RateLimitedError";
  }
}
