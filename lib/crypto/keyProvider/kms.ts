// Key provider backed by AWS KMS: data keys come from GenerateDataKey and are bound to the
// tenant/connector through the KMS encryption context, which KMS checks on every unwrap.
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  ReEncryptCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { ContextMismatchError, KeyProviderError } from "../errors.js";
import type { DataKey, EncryptionContext, KeyProvider } from "./contract.js";

export class KmsKeyProvider implements KeyProvider {
  readonly kind = "kms";
  readonly #client: KMSClient;
  readonly #keyId: string;

  constructor(opts: { client: KMSClient; keyId: string }) {
    this.#client = opts.client;
    this.#keyId = opts.keyId;
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const out = await this.#send("GenerateDataKey", () =>
      this.#client.send(
        new GenerateDataKeyCommand({
          KeyId: this.#keyId,
          KeySpec: "AES_256",
          EncryptionContext: kmsContext(context),
        }),
      ),
    );
    if (out.Plaintext?.length !== 32 || !out.CiphertextBlob) {
      throw new KeyProviderError("KMS GenerateDataKey returned no 32-byte data key");
    }
    const plaintext = Buffer.from(out.Plaintext);
    out.Plaintext.fill(0);
    return {
      plaintext,
      wrappedKey: Buffer.from(out.CiphertextBlob).toString("base64"),
      keyId: out.KeyId ?? this.#keyId,
    };
  }

  async decryptDataKey(wrappedKey: string, keyId: string, context: EncryptionContext): Promise<Buffer> {
    const out = await this.#send("Decrypt", () =>
      this.#client.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(wrappedKey, "base64"),
          KeyId: keyId,
          EncryptionContext: kmsContext(context),
        }),
      ),
    );
    if (!out.Plaintext) throw new KeyProviderError("KMS Decrypt returned no plaintext");
    const plaintext = Buffer.from(out.Plaintext);
    out.Plaintext.fill(0);
    return plaintext;
  }

  /**
   * KMS rotates the key material behind a key id itself, so only a data key wrapped under
   * another key id needs ReEncrypt. The stored id is the ARN KMS answered while the configured
   * one may be an alias, so "changed" is KMS's word (source ≠ destination), not a string compare.
   */
  async rewrapDataKey(
    wrappedKey: string,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrappedKey: string; keyId: string; changed: boolean }> {
    if (keyId === this.#keyId) return { wrappedKey, keyId, changed: false };
    const out = await this.#send("ReEncrypt", () =>
      this.#client.send(
        new ReEncryptCommand({
          CiphertextBlob: Buffer.from(wrappedKey, "base64"),
          SourceKeyId: keyId,
          SourceEncryptionContext: kmsContext(context),
          DestinationKeyId: this.#keyId,
          DestinationEncryptionContext: kmsContext(context),
        }),
      ),
    );
    if (!out.CiphertextBlob) throw new KeyProviderError("KMS ReEncrypt returned no ciphertext");
    if (out.SourceKeyId !== undefined && out.SourceKeyId === out.KeyId) {
      return { wrappedKey, keyId, changed: false };
    }
    return {
      wrappedKey: Buffer.from(out.CiphertextBlob).toString("base64"),
      keyId: out.KeyId ?? this.#keyId,
      changed: true,
    };
  }

  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const name = err instanceof Error ? err.name : "UnknownError";
      // KMS answers a wrong encryption context with InvalidCiphertextException.
      if (name === "InvalidCiphertextException") {
        throw new ContextMismatchError(undefined, { cause: err });
      }
      // Only the error name: SDK messages may echo request details.
      throw new KeyProviderError(`KMS ${operation} failed: ${name}`, { cause: err });
    }
  }
}

function kmsContext(context: EncryptionContext): Record<string, string> {
  return { tenant: context.tenant, connector_id: context.connector_id };
}
