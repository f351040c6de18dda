// The rate limiter's contract: a token bucket per name, kept as GCRA state (one "theoretical
// arrival time" per bucket), so both adapters store one number and decide with the same math.
/** A bucket's refill rate and size: `burst` requests at once, then `ratePerSecond` sustained. */
export interface RatePolicy {
  ratePerSecond: number;
  burst: number;
}

/** What one request got: the numbers the RateLimit-* and Retry-After headers carry. */
export interface RateDecision {
  allowed: boolean;
  /** The bucket's size (RateLimit-Limit). */
  limit: number;
  /** Requests left right now (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until the next request is allowed; 0 when this one was (Retry-After on a 429). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes one request from `bucket` if it has one; atomic across every caller of the same store. */
  take(bucket: string, policy: RatePolicy): Promise<RateDecision>;
}

/** GCRA in milliseconds: one request is `interval` of the bucket's `capacity`. */
export function gcraShape(policy: RatePolicy): { interval: number; capacity: number } {
  const interval = 1000 / policy.ratePerSecond;
  return { interval, capacity: interval * policy.burst };
}

/** Sums of fractional intervals drift by rounding; a bucket is not refused for that. */
const EPSILON_MS = 1e-6;

/** The latest arrival time at which a request at `now` is still admitted. */
export function latestAdmissible(now: number, policy: RatePolicy): number {
  const { interval, capacity } = gcraShape(policy);
  return now + capacity - interval + EPSILON_MS;
}

/** True when a bucket whose arrival time is `tat` (undefined: never used) admits a request at `now`. */
export function admits(tat: number | undefined, now: number, policy: RatePolicy): boolean {
  return tat === undefined || Math.max(tat, now) <= latestAdmissible(now, policy);
}

/** The arrival time after admitting a request at `now`. */
export function admitted(tat: number | undefined, now: number, policy: RatePolicy): number {
  return Math.max(tat ?? now, now) + gcraShape(policy).interval;
}

/** The decision for a request at `now` that left the bucket at `tat` (admitted), or found it there (refused). */
export function decisionAt(tat: number, now: number, policy: RatePolicy, allowed: boolean): RateDecision {
  const { interval, capacity } = gcraShape(policy);
  const used = Math.max(tat - now, 0);
  return {
    allowed,
    limit: policy.burst,
    remaining: Math.max(0, Math.floor((capacity - used) / interval + 1e-9)),
    resetSeconds: Math.ceil(used / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((tat + interval - capacity - now) / 1000)),
  };
}
