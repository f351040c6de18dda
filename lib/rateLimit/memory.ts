// The in-process rate limiter (local runtime): every bucket's arrival time in a Map. Node runs
// one request's take at a time, so each read-decide-write is atomic without locks.
import { admits, admitted, decisionAt, type RateDecision, type RateLimiter, type RatePolicy } from "./contract.js";

/** Past this many buckets, those already full again (arrival time passed) are dropped. */
const SWEEP_AT = 10_000;

export class InProcessRateLimiter implements RateLimiter {
  private readonly arrivals = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(bucket: string, policy: RatePolicy): Promise<RateDecision> {
    const now = this.now();
    const tat = this.arrivals.get(bucket);
    if (!admits(tat, now, policy)) return decisionAt(tat!, now, policy, false);
    const next = admitted(tat, now, policy);
    if (this.arrivals.size >= SWEEP_AT && tat === undefined) this.sweep(now);
    this.arrivals.set(bucket, next);
    return decisionAt(next, now, policy, true);
  }

  private sweep(now: number): void {
    for (const [bucket, tat] of this.arrivals) if (tat <= now) this.arrivals.delete(bucket);
  }
}
