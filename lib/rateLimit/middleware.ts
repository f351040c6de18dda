// The HTTP side of rate limiting: after authentication, before anything else, one token from
// the request's bucket; RateLimit-* headers (IETF httpapi draft) on every answer, and a 429 with
// Retry-After that did nothing when the bucket is empty.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/types.js";
import type { Logger } from "../runtime/logger.js";
import type { RateDecision, RateLimiter } from "./contract.js";
import { RateLimitedError } from "./errors.js";
import { bucketFor, type RateLimitPolicies } from "./policies.js";

export function rateLimit(limiter: RateLimiter, policies: RateLimitPolicies, logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const choice = bucketFor(c.req.method, c.req.path, c.get("principal"), policies);
    if (!choice.policy) return next();
    let decision: RateDecision;
    try {
      decision = await limiter.take(choice.bucket, choice.policy);
    } catch (error) {
      // The limiter guards capacity; a store hiccup in it should not refuse the request itself.
      logger.warn("rate limiter unavailable; request let through", { request_id: c.get("requestId"), error: { name: (error as Error).name, message: (error as Error).message } });
      return next();
    }
    // Set on the context, so the route's answer and an error's answer both carry them.
    c.header("RateLimit-Limit", String(decision.limit));
    c.header("RateLimit-Remaining", String(decision.remaining));
    c.header("RateLimit-Reset", String(decision.resetSeconds));
    if (!decision.allowed) {
      c.header("Retry-After", String(decision.retryAfterSeconds));
      throw new RateLimitedError(choice.kind, decision);
    }
    await next();
  };
}
