// Webhook signatures: HMAC-SHA256 over the raw bytes (RFC 4231 test vector), with and without a
// timestamp, and every way a signature is refused.
import { describe, expect, it } from "vitest";
import { WebhookSignatureError } from "../../../lib/ingest/errors.js";
import { signWebhook, verifyWebhook } from "../../../lib/ingest/webhookSignature.js";

const secret = "whsec-unit-0123456789";
const body = Buffer.from('{"records":[{"name":"ä"}]}');

describe("webhook signatures", () => {
  it("is HMAC-SHA256 hex (RFC 4231 test case 2)", () => {
    expect(signWebhook("Jefe", "what do ya want for nothing?")).toBe("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("covers `<timestamp>.<body>` when a timestamp is sent", () => {
    expect(signWebhook(secret, body, 1700000000)).toBe(signWebhook(secret, Buffer.concat([Buffer.from("1700000000."), body])));
  });

  it("accepts a valid signature, upper-case hex too, and a timestamp within 300 s either way", () => {
    const now = 1_700_000_000_000;
    expect(() => verifyWebhook(secret, { body, signature: signWebhook(secret, body), timestamp: undefined })).not.toThrow();
    expect(() => verifyWebhook(secret, { body, signature: signWebhook(secret, body).toUpperCase().replace("SHA256", "sha256"), timestamp: undefined })).not.toThrow();
    for (const ts of [1_700_000_000 - 300, 1_700_000_000 + 300]) {
      expect(() => verifyWebhook(secret, { body, signature: signWebhook(secret, body, ts), timestamp: String(ts) }, now)).not.toThrow();
    }
  });

  it.each([
    ["missing", undefined, undefined, "is required"],
    ["another scheme", "sha1=" + "0".repeat(40), undefined, "sha256=<64 hex digits>"],
    ["too short", "sha256=abcd", undefined, "sha256=<64 hex digits>"],
    ["another key", signWebhook("another-secret-value", body), undefined, "does not match"],
    ["timestamp not numeric", signWebhook(secret, body), "12:00", "unix seconds"],
    ["timestamp too old", signWebhook(secret, body, 1_700_000_000 - 301), String(1_700_000_000 - 301), "300 s"],
    ["signed without the timestamp it came with", signWebhook(secret, body), "1700000000", "does not match"],
  ])("refuses a signature that is %s", (_label, signature, timestamp, message) => {
    const check = () => verifyWebhook(secret, { body, signature, timestamp }, 1_700_000_000_000);
    expect(check).toThrow(WebhookSignatureError);
    expect(check).toThrow(message);
  });

  it("refuses a body changed by one byte", () => {
    const changed = Buffer.from(body);
    changed[changed.length - 3] = changed[changed.length - 3]! ^ 1;
    expect(() => verifyWebhook(secret, { body: changed, signature: signWebhook(secret, body), timestamp: undefined })).toThrow("does not match");
  });
});
