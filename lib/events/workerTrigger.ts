// The AWS delivery trigger: a `deliver_events` job for the worker function through the
// Dispatcher (an asynchronous invoke), so no HTTP function waits on a receiver. Retries, and
// whatever an invoke lost, are picked up by the stack's one-minute sweep of the same job.
import type { DeliverEventsEvent, Dispatcher } from "../dispatch/contract.js";
import type { DeliveryTrigger } from "./contract.js";
import type { EventDeliverer } from "./deliverer.js";

export const DELIVER_EVENTS: DeliverEventsEvent = { kind: "deliver_events" };

export class WorkerDeliveryTrigger implements DeliveryTrigger {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly deliverer: EventDeliverer,
  ) {}

  start(): void {}

  async notify(): Promise<void> {
    await this.dispatcher.dispatch({
      event: DELIVER_EVENTS,
      run: () => this.deliverer.deliverDue({ concurrency: 8, hasTime: () => true }),
      // Nothing to undo: the deliveries are stored and the next sweep attempts them.
      abandon: async () => undefined,
    });
  }

  async stop(): Promise<void> {}
}
