// Signed webhooks (the "webhooks" group): a batch whose raw bytes carry an HMAC-SHA256
// signature, checked in constant time before the body is parsed; and the tenant's own webhook
// secret (owner only), which is stored encrypted and never shown.
import { Hono } from "hono";
import { z } from "zod";
import { WebhookSignatureError } from "../../ingest/errors.js";
import type { IngestService } from "../../ingest/ingestService.js";
import type { WebhookSecrets } from "../../ingest/webhookSecrets.js";
import { verifyWebhook } from "../../ingest/webhookSignature.js";
import { parseWith } from "../../validation.js";
import { readJson, readJsonBytes } from "../body.js";
import { requireRole } from "../auth.js";
import type { AppEnv } from "../types.js";
import { parseBatch, pushScope } from "./ingest.js";

const secretBody = z.object({ secret: z.string().min(16, "secret must be at least 16 characters").max(1024) }).strict();

export interface WebhookRouteDeps {
  ingest: IngestService;
  webhookSecrets: WebhookSecrets;
  maxBodyBytes: number;
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
    verifyWebhook(secret, { body, signature, timestamp: c.req.header("x-webhook-timestamp") });
    return c.json(await deps.ingest.batch(scope, "webhook", parseBatch(body), body.byteLength));
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
