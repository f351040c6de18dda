// The Scheduler in the local runtime: schedules kept in memory, checked on a timer, each due
// connector fired once for its latest slot, with the slot persisted so a restart knows.

import type { ScheduledConnector, ScheduledPullEvent, Scheduler } from "./contract.js";
import { parseCron, previousFireTime } from "./cron.js";
import { CronError } from "./errors.js";
import { isValidTimeZone } from "./timezone.js";

export interface InProcessSchedulerOptions {
  /** Fires one scheduled pull; errors are the caller's to log (this must not throw out of the timer). */
  fire: (event: ScheduledPullEvent) => Promise<void>;
  /** Loads every scheduled connector at start. */
  load: () => Promise<Array<ScheduledConnector & { lastFiredAt: Date | null; createdAt: Date }>>;
  /** Persists that a slot fired (so a restart knows). */
  markFired: (tenant: string, connectorId: string, slot: Date) => Promise<void>;
  /** Default 60 000: due connectors are checked every minute. */
  intervalMs?: number;
  now?: () => Date;
  /** Receives errors from fire, markFired and bad stored schedules; default console.error. */
  onError?: (error: unknown) => void;
}

interface Entry {
  connector: ScheduledConnector;
  /** Slots after this instant are due: the last slot fired, or when the schedule was set. */
  since: number;
}

export class InProcessScheduler implements Scheduler {
  private readonly fire: InProcessSchedulerOptions["fire"];
  private readonly load: InProcessSchedulerOptions["load"];
  private readonly markFired: InProcessSchedulerOptions["markFired"];
  private readonly intervalMs: number;
  private readonly now: () => Date;
  private readonly onError: (error: unknown) => void;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: InProcessSchedulerOptions) {
    this.fire = opts.fire;
    this.load = opts.load;
    this.markFired = opts.markFired;
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
    this.onError = opts.onError ?? ((error) => console.error("scheduled pull failed", error));
  }

  /**
   * Loads the schedules and starts the timer. The immediate check runs in the background, so a
   * slot missed while the runtime was down fires once now without holding up start-up.
   */
  async start(): Promise<void> {
    if (this.timer) return;
    for (const { lastFiredAt, createdAt, ...connector } of await this.load()) {
      const key = keyOf(connector.tenant, connector.connectorId);
      // An upsert made before start is newer than what was stored.
      if (this.entries.has(key)) continue;
      this.entries.set(key, { connector, since: (lastFiredAt ?? createdAt).getTime() });
    }
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for the fires in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async upsert(connector: ScheduledConnector): Promise<void> {
    // The AWS adapter refuses these on the way in too; here they would only fail on every tick.
    parseCron(connector.schedule);
    if (!isValidTimeZone(connector.timezone)) {
      throw new CronError(`unknown time zone "${connector.timezone}"`);
    }
    const key = keyOf(connector.tenant, connector.connectorId);
    const current = this.entries.get(key);
    const now = this.now().getTime();
    // A new schedule, a changed one, or one switched back on starts counting from now: the slot
    // that just passed under other settings (or while paused) is not owed a fire.
    const restart =
      !current ||
      current.connector.schedule !== connector.schedule ||
      current.connector.timezone !== connector.timezone ||
      (connector.enabled && !current.connector.enabled);
    this.entries.set(key, { connector: { ...connector }, since: restart ? now : current.since });
  }

  async remove(tenant: string, connectorId: string): Promise<void> {
    this.entries.delete(keyOf(tenant, connectorId));
  }

  /** Runs one check now and resolves when the fires it started have settled; never rejects. */
  async tick(): Promise<void> {
    const now = this.now();
    const started: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.connector.enabled) continue;
      let slot: Date | null;
      try {
        slot = previousFireTime(entry.connector.schedule, entry.connector.timezone, now);
      } catch (error) {
        this.report(error);
        continue;
      }
      if (!slot || slot.getTime() <= entry.since) continue;
      // Claimed before anything is awaited, so an overlapping tick cannot fire this slot again.
      const previous = entry.since;
      entry.since = slot.getTime();
      started.push(this.track(this.run(entry, slot, previous)));
    }
    await Promise.allSettled(started);
  }

  private async run(entry: Entry, slot: Date, previous: number): Promise<void> {
    const { tenant, connectorId } = entry.connector;
    try {
      await this.markFired(tenant, connectorId, slot);
    } catch (error) {
      // Not recorded, so not fired: give the slot back for the next tick to try again.
      if (entry.since === slot.getTime()) entry.since = previous;
      this.report(error);
      return;
    }
    try {
      await this.fire({ tenant, connector_id: connectorId });
    } catch (error) {
      this.report(error);
    }
  }

  private track(promise: Promise<void>): Promise<void> {
    this.inFlight.add(promise);
    const settle = (): void => void this.inFlight.delete(promise);
    promise.then(settle, settle);
    return promise;
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // A failing error handler must not stop the timer or leave a fire unaccounted for.
    }
  }
}

function keyOf(tenant: string, connectorId: string): string {
  return `${tenant}\0${connectorId}`;
}
