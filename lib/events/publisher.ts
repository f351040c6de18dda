// Emitting an event: each subscription to its type gets a delivery, stored first (at least once),
// then the trigger is told. Called where a pull settles and where a sync ends, so it never throws
// and never waits on a receiver: a failing store is logged, and the pull goes on as it would.
import type { SyncRecord } from "../catalog/types.js";
import type { RunRecord } from "../pull/types.js";
import type { Logger } from "../runtime/logger.js";
import type { DeliveryTrigger, EventBody, EventType } from "./contract.js";
import type { EventDeliveries } from "./deliveries.js";
import { eventsOfRun, eventsOfSync, eventsOfTest, type RaisedEvent } from "./runEvents.js";
import type { EventSubscriptions } from "./subscriptions.js";

export class EventPublisher {
  constructor(
    private readonly deps: {
      subscriptions: EventSubscriptions;
      deliveries: EventDeliveries;
      trigger: DeliveryTrigger;
      logger: Logger;
      now?: () => Date;
    },
  ) {}

  async emit(tenant: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    await this.publish(tenant, [{ type, data }]);
  }

  /** The pull's end (its final status and error): pull.completed / pull.failed and any connector.* event. */
  async runSettled(run: RunRecord): Promise<void> {
    await this.publish(run.tenant, eventsOfRun(run));
  }

  /** A connection test's result: a failed one raises its connector.* event. */
  async testFinished(tenant: string, connectorId: string, result: Parameters<typeof eventsOfTest>[1]): Promise<void> {
    await this.publish(tenant, eventsOfTest(connectorId, result));
  }

  async syncSettled(sync: SyncRecord): Promise<void> {
    await this.publish(sync.tenant, eventsOfSync(sync));
  }

  private async publish(tenant: string, events: RaisedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.deps.now?.() ?? new Date();
    let enqueued = 0;
    try {
      for (const { type, data } of events) {
        const body: EventBody = { type, timestamp: now.toISOString(), data };
        const text = JSON.stringify(body);
        for (const subscription of await this.deps.subscriptions.subscribedTo(tenant, type)) {
          await this.deps.deliveries.enqueue(tenant, subscription.id, type, text, now);
          enqueued++;
        }
      }
    } catch (error) {
      this.deps.logger.error("events could not be enqueued", { types: events.map((e) => e.type), error: (error as Error)?.message });
    }
    if (enqueued > 0) await this.deps.trigger.notify().catch((error: unknown) => this.deps.logger.warn("event delivery could not be started; a later pass sends it", { error: (error as Error)?.message }));
  }
}
