// client.webhooks: sign a body as the service verifies it (the same function), send a signed
// push, and manage the tenant's webhook secret (owner keys).
import { signWebhook } from "../../ingest/webhookSignature.js";
import { unwrap, type ApiClient } from "../transport.js";
import type { IngestBatch, IngestSummary, WebhookSecretStatus } from "../types.js";

export interface WebhookSendOptions {
  secret: string;
  /** Unix seconds the MAC covers (`<timestamp>.<body>`); default now. `false` signs the body alone. */
  timestamp?: number | false;
  /** Names the delivery, so a resend is answered, not applied again. */
  webhookId?: string;
}

export class Webhooks {
  constructor(private readonly api: ApiClient) {}

  /** `sha256=<hex>`: HMAC-SHA256 of the raw body, or of `<timestamp>.<body>` when a timestamp is given. */
  sign(body: string | Uint8Array, secret: string, timestamp?: number): string {
    return signWebhook(secret, body, timestamp);
  }

  /** A signed batch push: `body` as the exact bytes to send, or `{records}` serialized once. */
  send(collection: string, recordType: string, body: string | IngestBatch, options: WebhookSendOptions): Promise<IngestSummary> {
    const raw = typeof body === "string" ? body : JSON.stringify(body);
    const timestamp = options.timestamp === false ? undefined : (options.timestamp ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { "content-type": "application/json", "x-webhook-signature": this.sign(raw, options.secret, timestamp) };
    if (timestamp !== undefined) headers["x-webhook-timestamp"] = String(timestamp);
    if (options.webhookId !== undefined) headers["x-webhook-id"] = options.webhookId;
    return unwrap(
      this.api.POST("/api/v1/webhooks/ingest/{collection}/{recordType}", {
        params: { path: { collection, recordType } },
        body: raw as never,
        bodySerializer: (text) => text as unknown as string,
        headers,
      }),
    );
  }

  /** Which secret applies (`tenant`, `environment` or `none`); never the secret. */
  secretStatus(): Promise<WebhookSecretStatus> {
    return unwrap(this.api.GET("/api/v1/webhooks/secret", {}));
  }

  setSecret(secret: string): Promise<WebhookSecretStatus> {
    return unwrap(this.api.PUT("/api/v1/webhooks/secret", { body: { secret } }));
  }

  async deleteSecret(): Promise<void> {
    await unwrap(this.api.DELETE("/api/v1/webhooks/secret", {}));
  }
}
