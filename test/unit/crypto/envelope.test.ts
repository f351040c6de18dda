// EnvelopeCodec over the local key provider: sealing, opening, context binding and rewrap.
import { describe, expect, it } from "vitest";
import { EnvelopeCodec, type Envelope } from "../../../lib/crypto/envelope.js";
import { ContextMismatchError, CryptoError, InvalidTokenError } from "../../../lib/crypto/errors.js";
import { Fernet } from "../../../lib/crypto/fernet.js";
import { KeyRing } from "../../../lib/crypto/keyRing.js";
import type { DataKey, EncryptionContext, KeyProvider } from "../../../lib/crypto/keyProvider/contract.js";
import { LocalKeyProvider } from "../../../lib/crypto/keyProvider/local.js";

const context: EncryptionContext = { tenant: "acme", connector_id: "pg-orders" };
const secret = { password: "hunter2-very-secret", host: "db.internal" };
const oldKey = Fernet.generateKey();
const newKey = Fernet.generateKey();

function codecFor(...keys: string[]): EnvelopeCodec {
  return new EnvelopeCodec(new LocalKeyProvider(new KeyRing(keys)));
}

/** Records the data keys a provider hands out, to check they never reach the envelope. */
class RecordingProvider implements KeyProvider {
  readonly kind = "local";
  readonly keys: Buffer[] = [];
  readonly handedOut: Buffer[] = [];
  constructor(private readonly inner: KeyProvider) {}
  async generateDataKey(ctx: EncryptionContext): Promise<DataKey> {
    const key = await this.inner.generateDataKey(ctx);
    this.keys.push(Buffer.from(key.plaintext));
    this.handedOut.push(key.plaintext);
    return key;
  }
  decryptDataKey(wrapped: string, keyId: string, ctx: EncryptionContext): Promise<Buffer> {
    return this.inner.decryptDataKey(wrapped, keyId, ctx);
  }
  rewrapDataKey(wrapped: string, keyId: string, ctx: EncryptionContext) {
    return this.inner.rewrapDataKey(wrapped, keyId, ctx);
  }
}

function tamper(token: string): string {
  const bytes = Buffer.from(token, "base64url");
  bytes[40] = (bytes[40] ?? 0) ^ 0x01;
  return bytes.toString("base64url");
}

describe("EnvelopeCodec (local provider)", () => {
  it("round-trips a JSON value", async () => {
    const codec = codecFor(oldKey);
    const envelope = await codec.seal(secret, context);
    expect(envelope.provider).toBe("local");
    expect(envelope.key_id).toBe(new KeyRing([oldKey]).primaryKeyId);
    expect(await codec.open(envelope, context)).toEqual(secret);
  });

  it("uses a fresh data key per seal", async () => {
    const codec = codecFor(oldKey);
    const a = await codec.seal(secret, context);
    const b = await codec.seal(secret, context);
    expect(a.wrapped_key).not.toBe(b.wrapped_key);
    expect(a.token).not.toBe(b.token);
  });

  it("rejects a tampered token with InvalidTokenError", async () => {
    const codec = codecFor(oldKey);
    const envelope = await codec.seal(secret, context);
    await expect(codec.open({ ...envelope, token: tamper(envelope.token) }, context)).rejects.toThrow(InvalidTokenError);
  });

  it("rejects an envelope opened with a ring that lacks its key", async () => {
    const envelope = await codecFor(oldKey).seal(secret, context);
    await expect(codecFor(newKey).open(envelope, context)).rejects.toThrow(InvalidTokenError);
  });

  it.each([
    ["another tenant", { tenant: "globex", connector_id: "pg-orders" }],
    ["another connector", { tenant: "acme", connector_id: "pg-invoices" }],
  ])("refuses to open under %s", async (_label, other) => {
    const codec = codecFor(oldKey);
    const envelope = await codec.seal(secret, context);
    await expect(codec.open(envelope, other)).rejects.toThrow(ContextMismatchError);
    // A rewrap that has work to do must unwrap, and so checks the context as well.
    await expect(codecFor(newKey, oldKey).rewrap(envelope, other)).rejects.toThrow(ContextMismatchError);
  });

  it("refuses an envelope from another provider kind", async () => {
    const codec = codecFor(oldKey);
    const envelope: Envelope = { ...(await codec.seal(secret, context)), provider: "kms" };
    const err = await codec.open(envelope, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect(err).not.toBeInstanceOf(InvalidTokenError);
  });

  it("stores neither the plaintext secret nor the data key, and zeroes the key after use", async () => {
    const provider = new RecordingProvider(new LocalKeyProvider(new KeyRing([oldKey])));
    const envelope = await new EnvelopeCodec(provider).seal(secret, context);
    const json = JSON.stringify(envelope);
    const [dataKey] = provider.keys;
    if (!dataKey) throw new Error("no data key was generated");
    expect(json).not.toContain(secret.password);
    for (const encoding of ["base64", "base64url", "hex"] as const) {
      expect(json).not.toContain(dataKey.toString(encoding).replace(/=+$/, ""));
    }
    expect(provider.handedOut[0]).toEqual(Buffer.alloc(32));
  });

  it("rewraps under a new primary key without touching the token", async () => {
    const envelope = await codecFor(oldKey).seal(secret, context);
    const rotatedCodec = codecFor(newKey, oldKey);

    const unchanged = await codecFor(oldKey, newKey).rewrap(envelope, context);
    expect(unchanged).toEqual({ envelope, changed: false });

    const { envelope: rewrapped, changed } = await rotatedCodec.rewrap(envelope, context);
    expect(changed).toBe(true);
    expect(rewrapped.token).toBe(envelope.token);
    expect(rewrapped.wrapped_key).not.toBe(envelope.wrapped_key);
    expect(rewrapped.key_id).toBe(new KeyRing([newKey]).primaryKeyId);
    expect(await codecFor(newKey).open(rewrapped, context)).toEqual(secret);
    expect((await rotatedCodec.rewrap(rewrapped, context)).changed).toBe(false);
  });
});
