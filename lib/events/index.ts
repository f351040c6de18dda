// Wires the event webhooks: subscriptions, the delivery store and log, the deliverer, the
// trigger for the runtime (timers here locally, the worker function on AWS) and the publisher.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EnvelopeCodec } from "../crypto/envelope.js";
import type { Dispatcher } from "../dispatch/contract.js";
import type { RuntimeKind } from "../runtime/config.js";
import type { Logger } from "../runtime/logger.js";
import type { DeliveryTrigger } from "./contract.js";
import { EventDeliveries } from "./deliveries.js";
import { EventDeliverer, type DeliveryPolicy } from "./deliverer.js";
import { LocalDeliveryLoop } from "./localLoop.js";
import { EventPublisher } from "./publisher.js";
import { EventSubscriptions } from "./subscriptions.js";
import { WorkerDeliveryTrigger } from "./workerTrigger.js";

export interface EventServices {
  subscriptions: EventSubscriptions;
  deliveries: EventDeliveries;
  deliverer: EventDeliverer;
  publisher: EventPublisher;
  trigger: DeliveryTrigger;
  runtime: RuntimeKind;
}

export function createEvents(deps: {
  db: DynamoDBDocumentClient;
  table: string;
  envelopes: EnvelopeCodec;
  logger: Logger;
  dispatcher: Dispatcher;
  runtime: RuntimeKind;
  policy: DeliveryPolicy;
  retentionDays: number;
}): EventServices {
  const subscriptions = new EventSubscriptions(deps.db, deps.table, deps.envelopes);
  const deliveries = new EventDeliveries(deps.db, deps.table, deps.retentionDays);
  const deliverer = new EventDeliverer({ deliveries, subscriptions, logger: deps.logger, policy: deps.policy });
  const trigger = deps.runtime === "aws" ? new WorkerDeliveryTrigger(deps.dispatcher, deliverer) : new LocalDeliveryLoop(deliverer, deps.logger);
  const publisher = new EventPublisher({ subscriptions, deliveries, trigger, logger: deps.logger });
  return { subscriptions, deliveries, deliverer, publisher, trigger, runtime: deps.runtime };
}

export { eventTypes, type EventType } from "./contract.js";
