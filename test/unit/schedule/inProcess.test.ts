import { afterEach, describe, expect, it, vi } from "vitest";
import type { ScheduledConnector, ScheduledPullEvent } from "../../../lib/schedule/contract.js";
import { CronError } from "../../../lib/schedule/errors.js";
import { InProcessScheduler, type InProcessSchedulerOptions } from "../../../lib/schedule/inProcess.js";

type Stored = ScheduledConnector & { lastFiredAt: Date | null; createdAt: Date };

const hourly: ScheduledConnector = {
  tenant: "acme",
  connectorId: "orders",
  schedule: "0 * * * *",
  timezone: "UTC",
  enabled: true,
};

function setup(overrides: Partial<InProcessSchedulerOptions> & { stored?: Stored[] } = {}) {
  const clock = { now: new Date("2025-01-15T09:30:00Z") };
  const fire = vi.fn<(event: ScheduledPullEvent) => Promise<void>>(async () => {});
  const markFired = vi.fn<(tenant: string, connectorId: string, slot: Date) => Promise<void>>(async () => {});
  const onError = vi.fn<(error: unknown) => void>();
  const { stored = [], ...rest } = overrides;
  const scheduler = new InProcessScheduler({
    fire,
    markFired,
    onError,
    load: async () => stored,
    now: () => clock.now,
    ...rest,
  });
  const at = (iso: string) => {
    clock.now = new Date(iso);
  };
  return { scheduler, fire, markFired, onError, at };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("InProcessScheduler", () => {
  it("fires at the slot, not before, and once per slot", async () => {
    const { scheduler, fire, markFired, at } = setup();
    await scheduler.upsert(hourly);
    at("2025-01-15T09:59:59Z");
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();

    at("2025-01-15T10:00:00Z");
    await scheduler.tick();
    at("2025-01-15T10:00:30Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
    expect(fire).toHaveBeenCalledWith({ tenant: "acme", connector_id: "orders" });
    expect(markFired).toHaveBeenCalledWith("acme", "orders", new Date("2025-01-15T10:00:00Z"));
    expect(markFired.mock.invocationCallOrder[0]).toBeLessThan(fire.mock.invocationCallOrder[0] as number);

    at("2025-01-15T11:00:00Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(2);
  });

  it("fires the latest slot missed during downtime once on start", async () => {
    // Hourly, last fired 04:00, back at 09:30: five slots missed, one fire (for 09:00).
    const stored = [{ ...hourly, lastFiredAt: new Date("2025-01-15T04:00:00Z"), createdAt: new Date("2025-01-01T00:00:00Z") }];
    const { scheduler, fire, markFired } = setup({ stored });
    await scheduler.start();
    await scheduler.stop();
    expect(fire).toHaveBeenCalledTimes(1);
    expect(markFired).toHaveBeenCalledTimes(1);
    expect(markFired).toHaveBeenCalledWith("acme", "orders", new Date("2025-01-15T09:00:00Z"));

    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("counts from createdAt for a connector that never fired", async () => {
    const stored = [
      { ...hourly, connectorId: "old", lastFiredAt: null, createdAt: new Date("2025-01-15T08:10:00Z") },
      { ...hourly, connectorId: "new", lastFiredAt: null, createdAt: new Date("2025-01-15T09:10:00Z") },
    ];
    const { scheduler, fire } = setup({ stored });
    await scheduler.start();
    await scheduler.stop();
    expect(fire.mock.calls).toEqual([[{ tenant: "acme", connector_id: "old" }]]);
  });

  it("never fires a disabled schedule", async () => {
    const stored = [{ ...hourly, enabled: false, lastFiredAt: null, createdAt: new Date("2025-01-01T00:00:00Z") }];
    const { scheduler, fire, at } = setup({ stored });
    await scheduler.start();
    await scheduler.stop();
    at("2025-01-15T12:00:00Z");
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
  });

  it("does not owe a re-enabled schedule the slots it missed while paused", async () => {
    const { scheduler, fire, at } = setup();
    await scheduler.upsert({ ...hourly, enabled: false });
    at("2025-01-15T12:30:00Z");
    await scheduler.upsert(hourly);
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
    at("2025-01-15T13:00:00Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("stops firing once removed", async () => {
    const { scheduler, fire, at } = setup();
    await scheduler.upsert(hourly);
    await scheduler.remove("acme", "orders");
    await scheduler.remove("acme", "orders");
    at("2025-01-15T10:00:00Z");
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
  });

  it("reads the cron in the connector's time zone", async () => {
    // 02:00 in Berlin is 01:00Z in winter.
    const { scheduler, fire, markFired, at } = setup();
    at("2025-01-15T00:00:00Z");
    await scheduler.upsert({ ...hourly, schedule: "0 2 * * *", timezone: "Europe/Berlin" });
    at("2025-01-15T00:59:00Z");
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
    at("2025-01-15T01:00:00Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
    expect(markFired).toHaveBeenCalledWith("acme", "orders", new Date("2025-01-15T01:00:00Z"));
  });

  it("does not fire a past slot when the expression changes", async () => {
    const { scheduler, fire, at } = setup();
    await scheduler.upsert(hourly);
    at("2025-01-15T09:45:00Z");
    await scheduler.upsert({ ...hourly, schedule: "30 * * * *" });
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
    at("2025-01-15T10:30:00Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("keeps the slot already due when an upsert leaves the expression alone", async () => {
    const { scheduler, fire, at } = setup();
    await scheduler.upsert(hourly);
    at("2025-01-15T10:00:20Z");
    await scheduler.upsert({ ...hourly });
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("refuses an invalid expression or zone on upsert", async () => {
    const { scheduler } = setup();
    await expect(scheduler.upsert({ ...hourly, schedule: "0 0 L * *" })).rejects.toBeInstanceOf(CronError);
    await expect(scheduler.upsert({ ...hourly, timezone: "Mars/Olympus" })).rejects.toBeInstanceOf(CronError);
  });

  it("reports a failing fire to onError and keeps the timer running", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const failure = new Error("pull failed");
    const { scheduler, fire, onError, at } = setup({ intervalMs: 1_000 });
    fire.mockRejectedValueOnce(failure);
    await scheduler.start();
    await scheduler.upsert(hourly);

    at("2025-01-15T10:00:00Z");
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(failure));

    at("2025-01-15T11:00:00Z");
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(fire).toHaveBeenCalledTimes(2));
    expect(onError).toHaveBeenCalledTimes(1);
    await scheduler.stop();
  });

  it("does not fire when the slot cannot be recorded, and tries again next tick", async () => {
    const { scheduler, fire, markFired, onError, at } = setup();
    markFired.mockRejectedValueOnce(new Error("db down"));
    await scheduler.upsert(hourly);
    at("2025-01-15T10:00:00Z");
    await scheduler.tick();
    expect(fire).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledTimes(1);
    at("2025-01-15T10:01:00Z");
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
    expect(markFired).toHaveBeenLastCalledWith("acme", "orders", new Date("2025-01-15T10:00:00Z"));
  });

  it("never fires the same connector twice for one slot, even with overlapping ticks", async () => {
    const { scheduler, fire, at } = setup();
    await scheduler.upsert(hourly);
    await scheduler.upsert({ ...hourly, connectorId: "users" });
    at("2025-01-15T10:00:00Z");
    await Promise.all([scheduler.tick(), scheduler.tick(), scheduler.tick()]);
    expect(fire.mock.calls.map(([event]) => event.connector_id).sort()).toEqual(["orders", "users"]);
  });

  it("runs different connectors' fires concurrently", async () => {
    const { scheduler, fire, at } = setup();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    fire.mockImplementation(() => gate);
    await scheduler.upsert(hourly);
    await scheduler.upsert({ ...hourly, connectorId: "users" });
    at("2025-01-15T10:00:00Z");
    const tick = scheduler.tick();
    await vi.waitFor(() => expect(fire).toHaveBeenCalledTimes(2));
    release();
    await tick;
  });

  it("stop() waits for a fire in flight", async () => {
    const { scheduler, fire, at } = setup();
    let release = (): void => {};
    fire.mockImplementation(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await scheduler.start();
    await scheduler.upsert(hourly);
    at("2025-01-15T10:00:00Z");
    void scheduler.tick();
    await vi.waitFor(() => expect(fire).toHaveBeenCalledTimes(1));

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });
});
