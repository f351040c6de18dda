// The Standard Webhooks signer against the specification's worked example, and against the
// reference library (standardwebhooks), which must accept what it signs and refuse a changed body.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSigningSecret, signedHeaders, signEvent } from "../../../lib/events/signer.js";

// The example of the specification (standard-webhooks/spec, "Signature scheme").
const spec = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("signEvent", () => {
  it("gives the specification's signature for its example", () => {
    expect(signEvent(spec.secret, spec.id, spec.timestamp, spec.body)).toBe(spec.signature);
  });

  it("is what the reference library verifies, and a changed body, id or timestamp is refused", () => {
    const secret = generateSigningSecret();
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "pull.completed", timestamp: new Date().toISOString(), data: { run_id: "run_1", records_pulled: 3 } });
    const headers = signedHeaders(secret, "msg_1", now, body);
    const verifier = new Webhook(secret);
    expect(verifier.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => verifier.verify(body.replace("3", "4"), headers)).toThrow();
    expect(() => verifier.verify(body, { ...headers, "webhook-id": "msg_2" })).toThrow();
    expect(() => verifier.verify(body, { ...headers, "webhook-timestamp": String(now - 1) })).toThrow();
  });
});

describe("generateSigningSecret", () => {
  it("makes whsec_ secrets of 24 random bytes, a new one each time", () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(a);
  });
});
