// The contract every key provider (KMS, local key ring) fulfils for envelope encryption:
// it hands out fresh data keys and unwraps them only under the context they were bound to.

export interface EncryptionContext {
  tenant: string;
  connector_id: string;
}

export interface DataKey {
  /** 32 random bytes; the caller zeroes them after use. */
  plaintext: Buffer;
  wrappedKey: string;
  keyId: string;
}

export interface KeyProvider {
  readonly kind: "kms" | "local";
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  decryptDataKey(wrappedKey: string, keyId: string, context: EncryptionContext): Promise<Buffer>;
  /** Re-wraps a data key under the provider's current primary key; changed=false when it already is. */
  rewrapDataKey(
    wrappedKey: string,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrappedKey: string; keyId: string; changed: boolean }>;
}
