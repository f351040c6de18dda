// Signed webhooks (the "webhooks" group): a batch whose raw bytes carry an HMAC-SHA256
// signature, checked in constant time before the body is parsed; and the tenant's own webhook
// secret (owner only), which is stored encrypted and never shown.
import { Hono } from "hono";
import { z } from "zod";
import { ConflictError } from "../../errors.js";
import { IngestionFailedError, WebhookSignatureError } from "../../ingest/errors.js";
import type { IngestionRepository } from "../../ingest/ingestionRepository.js";
import { summaryOf } from "../../ingest/pipeline.js";
import type { WebhookDeliveries } from "../../ingest/webhookDeliveries.js";
import type { IngestService } from "../../ingest/ingestService.js";
import type { WebhookSecrets } from "../../ingest/webhookSecrets.js";
import { verifyWebhook } from "../../ingest/webhookSignature.js";
import { parseWith } from "../../validation.js";
import { readJson, readJsonBytes } from "../body.js";
import { requireRole } from "../auth.js";
import type { AppEnv } from "../types.js";
import { parseBatch, pushScope } from "./ingest.js";

export const secretBody = z.object({ secret: z.string().min(16, "secret must be at least 16 characters").max(1024) }).strict();

export interface WebhookRouteDeps {
  ingest: IngestService;
  ingestions: IngestionRepository;
  webhookSecrets: WebhookSecrets;
  webhookDeliveries: WebhookDeliveries;
  maxBodyBytes: number;
  config: { webhookRequireTimestamp: boolean };
}

/** A delivery's name: the sender's webhook id, else its signature (the MAC over exactly what was sent). */
function deliveryKey(webhookId: string | undefined, signature: string): string {
  const id = webhookId?.trim();
  if (id && /^[\x21-\x7e]{1,200}$/.test(id)) return `id:${id}`;
  return `sig:${signature.trim().slice("sha256=".length).toLowerCase()}`;
}

export function webhookRoutes(deps: WebhookRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/webhooks/ingest/:collection/:recordType", async (c) => {
    const scope = pushScope(c);
    const signature = c.req.header("x-webhook-signature");
    if (!signature) throw new WebhookSignatureError("X-Webhook-Signature is required: sha256=<hex HMAC-SHA256 of the body>");
    const secret = await deps.webhookSecrets.secretFor(scope.tenant);
    if (!secret) throw new WebhookSignatureError("no webhook secret is configured: set WEBHOOK_SECRET or PUT /api/v1/webhooks/secret");
    const body = await readJsonBytes(c, deps.maxBodyBytes);
    const timestamp = c.req.header("x-webhook-timestamp");
    if (deps.config.webhookRequireTimestamp && timestamp === undefined) {
      throw new WebhookSignatureError("X-Webhook-Timestamp is required (WEBHOOK_REQUIRE_TIMESTAMP): sign `<timestamp>.<body>`");
    }
    verifyWebhook(secret, { body, signature, timestamp });
    const records = parseBatch(body);
    const key = deliveryKey(c.req.header("x-webhook-id") ?? c.req.header("webhook-id"), signature);
    const claim = await deps.webhookDeliveries.claim(scope.tenant, key);
    if (!claim.taken) {
      // Received before: answered as it was, never applied again (a replay could roll data back).
      if (claim.ingestionId === null) throw new ConflictError("this webhook delivery is being stored by another request; retry it shortly");
      c.header("x-webhook-replay", "true");
      return c.json(summaryOf(await deps.ingestions.get(scope.tenant, claim.ingestionId)));
    }
    try {
      const summary = await deps.ingest.batch(scope, "webhook", records, body.byteLength);
      await deps.webhookDeliveries.complete(scope.tenant, key, summary.ingestion_id);
      return c.json(summary);
    } catch (error) {
      // Stored part-way: the delivery is that ingestion; anything else stored nothing, so a retry may apply it.
      if (error instanceof IngestionFailedError && error.summary.accepted > 0) await deps.webhookDeliveries.complete(scope.tenant, key, error.summary.ingestion_id);
      else await deps.webhookDeliveries.release(scope.tenant, key);
      throw error;
    }
  });

  app.use("/webhooks/secret", requireRole("owner"));

  app.get("/webhooks/secret", async (c) => c.json(await deps.webhookSecrets.status(c.get("principal").tenant)));

  app.put("/webhooks/secret", async (c) => {
    const { secret } = parseWith(secretBody, await readJson(c));
    return c.json(await deps.webhookSecrets.set(c.get("principal").tenant, secret));
  });

  app.delete("/webhooks/secret", async (c) => {
    await deps.webhookSecrets.remove(c.get("principal").tenant);
    return c.body(null, 204);
  });

  return app;
}
