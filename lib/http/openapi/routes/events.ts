// The OpenAPI registry of the event webhooks: subscriptions (the secret shown on create only)
// and each subscription's delivery log.
import { z } from "zod";
import { eventTypes } from "../../../events/contract.js";
import { subscriptionBody } from "../../routes/eventSubscriptions.js";
import { pageQuery } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { page } from "../schemas.js";

const tag = "Event webhooks";
const timestamp = z.string().describe("ISO 8601 date-time");

const subscription = z
  .object({ id: z.string(), url: z.string(), events: z.array(z.enum(eventTypes)), description: z.string(), created_at: timestamp })
  .meta({ id: "EventSubscription" });
const created = subscription.extend({ secret: z.string().describe("whsec_<base64>: the Standard Webhooks signing secret, shown only this once") });
const attempt = z.object({
  attempt: z.number().int().min(1),
  at: timestamp,
  status_code: z.number().int().nullable().describe("the receiver's status; null when it did not answer"),
  error: z.string().nullable(),
  duration_ms: z.number().int().min(0),
});
const delivery = z
  .object({
    id: z.string().describe("also the webhook-id header, the same on every retry"),
    subscription_id: z.string(),
    event_type: z.enum(eventTypes),
    body: z.string().describe("the JSON body sent, byte for byte"),
    status: z.enum(["pending", "delivered", "failed"]),
    attempt_count: z.number().int().min(0),
    attempts: z.array(attempt),
    created_at: timestamp,
    next_attempt_at: timestamp.nullable(),
    delivered_at: timestamp.nullable(),
  })
  .meta({ id: "EventDelivery" });

export const eventOperations: OperationDoc[] = [
  {
    method: "post", path: `${API}/event-subscriptions`, tag, summary: "Subscribe a URL to events (editor)",
    body: { schema: subscriptionBody }, responses: { 201: { description: "the subscription, with its signing secret shown only this once", schema: created } }, errors: [409],
  },
  { method: "get", path: `${API}/event-subscriptions`, tag, summary: "The tenant's event subscriptions", responses: { 200: { description: "every subscription, without secrets", schema: z.object({ items: z.array(subscription), next_cursor: z.null() }) } } },
  { method: "get", path: `${API}/event-subscriptions/:id`, tag, summary: "One event subscription", responses: { 200: { description: "the subscription, without its secret", schema: subscription } } },
  { method: "delete", path: `${API}/event-subscriptions/:id`, tag, summary: "Delete an event subscription (editor)", responses: { 204: { description: "deleted; its pending deliveries are given up" } } },
  {
    method: "get", path: `${API}/event-subscriptions/:id/deliveries`, tag, summary: "The subscription's delivery log, newest first",
    query: z.object(pageQuery), responses: { 200: { description: "a page of deliveries with every attempt", schema: page(delivery) } },
  },
];
