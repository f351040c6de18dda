// Envelope encryption for secrets at rest: each value gets its own data key, used as a Fernet
// key, and only the provider-wrapped form of that key is stored beside the token.
import { CryptoError } from "./errors.js";
import { Fernet } from "./fernet.js";
import type { EncryptionContext, KeyProvider } from "./keyProvider/contract.js";

export interface Envelope {
  provider: "kms" | "local";
  key_id: string;
  wrapped_key: string;
  token: string;
}

export class EnvelopeCodec {
  readonly #provider: KeyProvider;

  constructor(provider: KeyProvider) {
    this.#provider = provider;
  }

  async seal(value: unknown, context: EncryptionContext): Promise<Envelope> {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new CryptoError("only JSON-serialisable values can be sealed");
    const dataKey = await this.#provider.generateDataKey(context);
    try {
      return {
        provider: this.#provider.kind,
        key_id: dataKey.keyId,
        wrapped_key: dataKey.wrappedKey,
        token: new Fernet(dataKey.plaintext).encrypt(json),
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  async open<T = unknown>(envelope: Envelope, context: EncryptionContext): Promise<T> {
    this.#checkProvider(envelope);
    const key = await this.#provider.decryptDataKey(envelope.wrapped_key, envelope.key_id, context);
    let plaintext: Buffer;
    try {
      plaintext = new Fernet(key).decrypt(envelope.token);
    } finally {
      key.fill(0);
    }
    try {
      return JSON.parse(plaintext.toString("utf8")) as T;
    } catch (err) {
      // Authentic but not JSON: sealed by something else than this codec.
      throw new CryptoError("envelope token does not hold JSON", { cause: err });
    } finally {
      plaintext.fill(0);
    }
  }

  /** Only the key wrap changes; the token, and so the stored secret, stays byte for byte. */
  async rewrap(envelope: Envelope, context: EncryptionContext): Promise<{ envelope: Envelope; changed: boolean }> {
    this.#checkProvider(envelope);
    const out = await this.#provider.rewrapDataKey(envelope.wrapped_key, envelope.key_id, context);
    if (!out.changed) return { envelope, changed: false };
    return { envelope: { ...envelope, key_id: out.keyId, wrapped_key: out.wrappedKey }, changed: true };
  }

  #checkProvider(envelope: Envelope): void {
    if (envelope.provider !== this.#provider.kind) {
      throw new CryptoError(
        `envelope was sealed with the ${envelope.provider} key provider, this codec uses ${this.#provider.kind}`,
      );
    }
  }
}
