// Key provider for local runs and tests: data keys are wrapped with the service's own Fernet
// key ring, and the context is sealed inside the wrap so it is checked like KMS would.
import { randomBytes } from "node:crypto";
import { ContextMismatchError, KeyProviderError } from "../errors.js";
import type { KeyRing } from "../keyRing.js";
import type { DataKey, EncryptionContext, KeyProvider } from "./contract.js";

interface WrappedPayload {
  k: string;
  ctx: unknown;
}

export class LocalKeyProvider implements KeyProvider {
  readonly kind = "local";
  readonly #ring: KeyRing;

  constructor(ring: KeyRing) {
    this.#ring = ring;
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const payload: WrappedPayload = {
      k: plaintext.toString("base64"),
      ctx: { tenant: context.tenant, connector_id: context.connector_id },
    };
    return {
      plaintext,
      wrappedKey: this.#ring.encrypt(JSON.stringify(payload)),
      keyId: this.#ring.primaryKeyId,
    };
  }

  /** The key id is informational here: the ring tries all of its keys anyway. */
  async decryptDataKey(wrappedKey: string, _keyId: string, context: EncryptionContext): Promise<Buffer> {
    const json = this.#ring.decrypt(wrappedKey);
    let payload: Partial<WrappedPayload> | null;
    try {
      payload = JSON.parse(json.toString("utf8")) as Partial<WrappedPayload> | null;
    } catch (err) {
      throw new KeyProviderError("wrapped data key is not valid JSON", { cause: err });
    } finally {
      json.fill(0);
    }
    if (typeof payload?.k !== "string") throw new KeyProviderError("wrapped data key has an unexpected shape");
    if (!contextMatches(payload.ctx, context)) throw new ContextMismatchError();
    return Buffer.from(payload.k, "base64");
  }

  async rewrapDataKey(
    wrappedKey: string,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrappedKey: string; keyId: string; changed: boolean }> {
    const primary = this.#ring.primaryKeyId;
    if (this.#ring.keyIdOf(wrappedKey) === primary) return { wrappedKey, keyId: primary, changed: false };
    // Unwrapping first enforces the context, as KMS ReEncrypt does.
    (await this.decryptDataKey(wrappedKey, keyId, context)).fill(0);
    return { wrappedKey: this.#ring.rotate(wrappedKey), keyId: primary, changed: true };
  }
}

function contextMatches(stored: unknown, expected: EncryptionContext): boolean {
  if (typeof stored !== "object" || stored === null) return false;
  const fields = stored as Record<string, unknown>;
  return (
    Object.keys(fields).length === 2 &&
    fields.tenant === expected.tenant &&
    fields.connector_id === expected.connector_id
  );
}
