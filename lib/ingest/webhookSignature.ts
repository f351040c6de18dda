// Webhook signatures: `X-Webhook-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body
// bytes, or of `<timestamp>.<body>` when `X-Webhook-Timestamp` (unix seconds) is sent, which
// must then be within the tolerance of our clock. Checked before the body is parsed.
import { createHmac, timingSafeEqual } from "node:crypto";
import { WebhookSignatureError } from "./errors.js";

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface SignedRequest {
  body: Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
}

/** The header value a sender computes: `sha256=<hex>`. */
export function signWebhook(secret: string, body: Uint8Array | string, timestamp?: number | string): string {
  const mac = createHmac("sha256", secret);
  if (timestamp !== undefined) mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest("hex")}`;
}

export function verifyWebhook(secret: string, request: SignedRequest, nowMs = Date.now()): void {
  if (!request.signature) throw new WebhookSignatureError("X-Webhook-Signature is required: sha256=<hex HMAC-SHA256 of the body>");
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(request.signature.trim());
  if (!match) throw new WebhookSignatureError("X-Webhook-Signature must be sha256=<64 hex digits>");
  let timestamp: string | undefined;
  if (request.timestamp !== undefined) {
    timestamp = request.timestamp.trim();
    if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookSignatureError("X-Webhook-Timestamp must be unix seconds");
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) {
      throw new WebhookSignatureError(`X-Webhook-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from the server's clock (replayed or stale)`);
    }
  }
  const expected = Buffer.from(signWebhook(secret, request.body, timestamp).slice("sha256=".length), "hex");
  const given = Buffer.from(match[1]!, "hex");
  if (!timingSafeEqual(expected, given)) throw new WebhookSignatureError("X-Webhook-Signature does not match the body");
}
