// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with
// the base64-decoded part of a `whsec_…` secret, sent as webhook-id/-timestamp/-signature.
import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";
/** 24 random bytes, as the specification's reference implementations generate. */
const SECRET_BYTES = 24;

export function generateSigningSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
}

/** The `webhook-signature` value for one attempt; `timestamp` is unix seconds. */
export function signEvent(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signEvent(secret, id, timestamp, body),
  };
}
