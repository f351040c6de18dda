// One attempt at a delivery, and passes over what is due: claim it, sign the stored body for this
// attempt, POST it under the timeout, log the attempt, and schedule the next one with exponential
// backoff until the attempts run out. Nothing here ever throws into whoever emitted the event.
import { CryptoError } from "../crypto/errors.js";
import type { Logger } from "../runtime/logger.js";
import { newId } from "../store/ids.js";
import type { DeliveryAttempt, StoredDelivery } from "./contract.js";
import type { AttemptOutcome, EventDeliveries } from "./deliveries.js";
import { postToReceiver, type ReceiverAnswer } from "./receiver.js";
import { signedHeaders } from "./signer.js";
import type { EventSubscriptions } from "./subscriptions.js";

export interface DeliveryPolicy {
  /** How long a receiver has to answer one attempt. */
  timeoutMs: number;
  /** The wait before the second attempt; each further one waits twice as long (up to MAX_BACKOFF_MS). */
  retryBaseMs: number;
  /** Attempts in all, the first included, before a delivery is given up (`failed`). */
  maxAttempts: number;
}

const MAX_BACKOFF_MS = 3_600_000;
/** A claim outlives its attempt by this much, so a slow store write cannot let a second attempt in. */
const CLAIM_MARGIN_MS = 5_000;
const MAX_ERROR_CHARS = 300;

export type Post = (url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal) => Promise<ReceiverAnswer>;

export interface DelivererDeps {
  deliveries: EventDeliveries;
  subscriptions: EventSubscriptions;
  logger: Logger;
  policy: DeliveryPolicy;
  post?: Post;
  now?: () => Date;
}

/** The wait after attempt `n` failed (1-based), with up to 10 % jitter so retries of many deliveries spread out. */
export function backoffMs(policy: DeliveryPolicy, n: number): number {
  const base = Math.min(MAX_BACKOFF_MS, policy.retryBaseMs * 2 ** (n - 1));
  return Math.round(base * (1 + Math.random() * 0.1));
}

export class EventDeliverer {
  private readonly post: Post;
  private readonly now: () => Date;

  constructor(private readonly deps: DelivererDeps) {
    this.post = deps.post ?? postToReceiver;
    this.now = deps.now ?? (() => new Date());
  }

  get policy(): DeliveryPolicy {
    return this.deps.policy;
  }

  /** Pending deliveries that are due, for a pass to attempt. */
  due(limit: number): Promise<StoredDelivery[]> {
    return this.deps.deliveries.due(this.now(), limit);
  }

  nextAfterNow(): Promise<Date | undefined> {
    return this.deps.deliveries.nextAfter(this.now());
  }

  /**
   * One attempt, if this process gets the claim (false when it did not: not due, done, or held
   * by another attempt). `signal` (shutdown) gives the attempt up uncounted: the delivery stays
   * pending for the next process. Never rejects.
   */
  async attempt(delivery: StoredDelivery, signal?: AbortSignal): Promise<boolean> {
    const token = newId("claim");
    const { deliveries, policy, logger } = this.deps;
    try {
      const now = this.now();
      const claimed = await deliveries.claim(delivery, token, now, new Date(now.getTime() + policy.timeoutMs + CLAIM_MARGIN_MS));
      if (!claimed) return false;
      const started = this.now();
      const sent = await this.send(claimed, started, signal);
      if (sent === "aborted") {
        await deliveries.release(claimed, token);
        return true;
      }
      const n = claimed.attempt_count + 1;
      const attempt: DeliveryAttempt = { attempt: n, at: started.toISOString(), status_code: sent.status, error: sent.error, duration_ms: this.now().getTime() - started.getTime() };
      const outcome: AttemptOutcome =
        sent.error === null ? { status: "delivered" }
        : sent.final || n >= policy.maxAttempts ? { status: "failed" }
        : { status: "pending", next_attempt_at: new Date(this.now().getTime() + backoffMs(policy, n)).toISOString() };
      await deliveries.record(claimed, token, attempt, outcome);
      const fields = { delivery_id: claimed.id, subscription_id: claimed.subscription_id, event_type: claimed.event_type, attempt: n, status_code: sent.status };
      if (outcome.status === "delivered") logger.info("event delivered", fields);
      else logger.warn(outcome.status === "failed" ? "event delivery given up" : "event delivery failed; retrying", { ...fields, error: sent.error });
      return true;
    } catch (failure) {
      // The store failed: the claim runs out and a later pass tries again.
      logger.error("event delivery attempt could not run", { delivery_id: delivery.id, error: (failure as Error)?.message });
      return false;
    }
  }

  /** The stored body POSTed to its subscription, signed for this attempt: the status, or why there is none. */
  private async send(delivery: StoredDelivery, started: Date, signal?: AbortSignal): Promise<{ status: number | null; error: string | null; final?: boolean } | "aborted"> {
    let target;
    try {
      target = await this.deps.subscriptions.withSecret(delivery.tenant, delivery.subscription_id);
    } catch (failure) {
      // Counted like a failed attempt, so a key ring that lost its key does not retry forever.
      if (failure instanceof CryptoError) return { status: null, error: "the subscription's signing secret could not be decrypted; check the master key configuration" };
      throw failure;
    }
    if (!target) return { status: null, error: "the subscription was deleted", final: true };
    const headers = signedHeaders(target.secret, delivery.id, Math.floor(started.getTime() / 1000), delivery.body);
    try {
      const { status } = await this.post(target.subscription.url, delivery.body, headers, this.deps.policy.timeoutMs, signal);
      return { status, error: status >= 200 && status <= 299 ? null : `the receiver answered ${status}` };
    } catch (failure) {
      if (signal?.aborted) return "aborted";
      return { status: null, error: String((failure as Error)?.message ?? failure).slice(0, MAX_ERROR_CHARS) };
    }
  }

  /**
   * Attempts what is due, `concurrency` at a time, page after page while `hasTime` allows one more
   * round (the worker function's pass on AWS). Returns how many were attempted.
   */
  async deliverDue(options: { concurrency: number; hasTime: () => boolean }): Promise<number> {
    let attempted = 0;
    const seen = new Set<string>();
    while (options.hasTime()) {
      const batch = (await this.due(100)).filter((d) => !seen.has(d.id));
      if (batch.length === 0) break;
      for (let i = 0; i < batch.length && options.hasTime(); i += options.concurrency) {
        const round = batch.slice(i, i + options.concurrency);
        for (const d of round) seen.add(d.id);
        await Promise.all(round.map((d) => this.attempt(d)));
        attempted += round.length;
      }
    }
    return attempted;
  }
}
