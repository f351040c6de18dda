// Which bucket a request draws from. Each request takes one token from exactly one bucket: a
// signed webhook push from its key's webhook bucket (a sender's deliveries are not the key's
// interactive budget, and one bucket whatever the target, so naming many targets gains nothing),
// an NDJSON stream from its key's stream bucket (long requests, few of them), every other
// request from its API key's.
import type { Principal } from "../apiKeys/types.js";
import type { RatePolicy } from "./contract.js";
import type { RateLimitedError } from "./errors.js";

/** The configured policies; a policy of null is no limit. */
export interface RateLimitPolicies {
  apiKey: RatePolicy | null;
  webhook: RatePolicy | null;
  stream: RatePolicy | null;
}

export interface BucketChoice {
  kind: RateLimitedError["bucket"];
  bucket: string;
  policy: RatePolicy | null;
}

const webhookPath = /^\/api\/v1\/webhooks\/ingest\/[^/]+\/[^/]+\/?$/;
const streamPath = /^\/api\/v1\/ingest\/[^/]+\/[^/]+\/stream\/?$/;

export function bucketFor(method: string, path: string, principal: Principal, policies: RateLimitPolicies): BucketChoice {
  if (method === "POST") {
    if (webhookPath.test(path)) return { kind: "webhook", bucket: `webhook:${principal.keyId}`, policy: policies.webhook };
    if (streamPath.test(path)) return { kind: "stream", bucket: `stream:${principal.keyId}`, policy: policies.stream };
  }
  return { kind: "api_key", bucket: `key:${principal.keyId}`, policy: policies.apiKey };
}
