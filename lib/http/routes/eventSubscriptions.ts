// Event webhooks (the "connectors" group): a tenant's subscriptions to events, each with its
// signing secret shown once on create, and each subscription's delivery log. Reads need viewer;
// creating and deleting need editor (roleByMethod), as managing connectors does.
import { Hono } from "hono";
import { z } from "zod";
import { eventTypes, type EventType } from "../../events/contract.js";
import type { EventServices } from "../../events/index.js";
import { checkReceiverUrl } from "../../events/receiver.js";
import { parseWith } from "../../validation.js";
import { queryLimit, readJson } from "../body.js";
import { idParam } from "../params.js";
import type { AppEnv } from "../types.js";

export const subscriptionBody = z.strictObject({
  url: z.string({ error: "url is required: the https URL events are POSTed to" }).min(1, "url is required"),
  events: z
    .array(z.enum(eventTypes, { error: `each event must be one of ${eventTypes.join(", ")}` }), { error: "events must be a list of event types" })
    .min(1, "events must name at least one event type")
    .max(eventTypes.length),
  description: z.string().max(200, "description must be at most 200 characters").optional(),
});

export function eventSubscriptionRoutes(events: EventServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/event-subscriptions", async (c) => {
    const input = parseWith(subscriptionBody, await readJson(c));
    const url = await checkReceiverUrl(input.url, events.runtime);
    const types = [...new Set(input.events)] as EventType[];
    const created = await events.subscriptions.create(c.get("principal").tenant, { url, events: types, description: input.description ?? "" });
    // The only time the secret is ever shown.
    return c.json(created, 201);
  });

  app.get("/event-subscriptions", async (c) => c.json({ items: await events.subscriptions.list(c.get("principal").tenant), next_cursor: null }));

  app.get("/event-subscriptions/:id", async (c) => c.json(await events.subscriptions.get(c.get("principal").tenant, idParam(c, "id", "event subscription"))));

  app.delete("/event-subscriptions/:id", async (c) => {
    await events.subscriptions.remove(c.get("principal").tenant, idParam(c, "id", "event subscription"));
    return c.body(null, 204);
  });

  app.get("/event-subscriptions/:id/deliveries", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = idParam(c, "id", "event subscription");
    await events.subscriptions.get(tenant, id); // 404 for an unknown or foreign subscription
    return c.json(await events.deliveries.list(tenant, id, { limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") }));
  });

  return app;
}
