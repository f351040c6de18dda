// The local runtime's delivery trigger: attempts run in this process, in the background, each
// on its own (a receiver that hangs holds only its own attempt), and a timer wakes the loop when
// the next retry is due. On start it picks up what a previous process left pending.
import type { Logger } from "../runtime/logger.js";
import type { DeliveryTrigger } from "./contract.js";
import type { EventDeliverer } from "./deliverer.js";

const MAX_IN_FLIGHT = 16;
/** A pass also runs this often whatever the timers say (an enqueue by another process, a lost claim). */
const IDLE_POLL_MS = 30_000;
/** How soon a delivery that is due but claimed elsewhere (a crashed process's claim, running out) is looked at again. */
const HELD_RETRY_MS = 1_000;

export class LocalDeliveryLoop implements DeliveryTrigger {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;

  constructor(
    private readonly deliverer: EventDeliverer,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.started = true;
    this.wake();
  }

  async notify(): Promise<void> {
    this.wake();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.running;
    await Promise.all(this.inFlight.values());
  }

  /** Runs a pass now, or once more after the one running: never two at a time. */
  private wake(): void {
    if (!this.started || this.stopping.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.logger.error("event delivery pass failed", { error: (error as Error)?.message }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pass(): Promise<void> {
    for (const delivery of await this.deliverer.due(MAX_IN_FLIGHT * 2)) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) break; // the rest when one of these is done
      if (this.inFlight.has(delivery.id) || this.stopping.signal.aborted) continue;
      const attempt = this.deliverer.attempt(delivery, this.stopping.signal).then((claimed) => {
        this.inFlight.delete(delivery.id);
        // Unclaimed, it is held elsewhere: waking now would only ask again at once (see the timer).
        if (claimed) this.wake();
        else this.soon(HELD_RETRY_MS);
      });
      this.inFlight.set(delivery.id, attempt);
    }
    const next = await this.deliverer.nextAfterNow();
    this.soon(next ? Math.max(0, next.getTime() - Date.now()) : IDLE_POLL_MS);
  }

  /** A pass in `ms` at the latest (an earlier one scheduled stays). */
  private soon(ms: number): void {
    if (this.stopping.signal.aborted) return;
    const at = Date.now() + Math.min(ms, IDLE_POLL_MS);
    if (this.timer && this.timerAt <= at && this.timerAt > Date.now()) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.wake(), at - Date.now());
    this.timer.unref();
  }
}
