// Rate limiting per API key (and per webhook target, per key's NDJSON streams): the contract,
// its adapters (in process, DynamoDB) and the HTTP middleware.
export type { RateDecision, RateLimiter, RatePolicy } from "./contract.js";
export { InProcessRateLimiter } from "./memory.js";
export { DynamoRateLimiter } from "./dynamodb.js";
export { RateLimitedError } from "./errors.js";
export { rateLimit } from "./middleware.js";
export type { RateLimitPolicies } from "./policies.js";
