// KmsKeyProvider against a mocked KMS client: the requests it sends and how KMS errors map.
import "aws-sdk-client-mock-vitest/extend";
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSServiceException,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { EnvelopeCodec } from "../../../lib/crypto/envelope.js";
import { ContextMismatchError, KeyProviderError } from "../../../lib/crypto/errors.js";
import { KmsKeyProvider } from "../../../lib/crypto/keyProvider/kms.js";

const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OLD_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-00aa-00aa-00aa-000000000000";
const context = { tenant: "acme", connector_id: "pg-orders" };
const wrappedBlob = Buffer.from("kms-ciphertext-blob");

const kms = mockClient(KMSClient);
let dataKey: Buffer;

function provider(): KmsKeyProvider {
  return new KmsKeyProvider({ client: new KMSClient({ region: "eu-west-1" }), keyId: KEY_ARN });
}

function accessDenied(): KMSServiceException {
  return new KMSServiceException({
    name: "AccessDeniedException",
    $fault: "client",
    $metadata: {},
    message: `not authorised to use ${KEY_ARN}`,
  });
}

beforeEach(() => {
  kms.reset();
  dataKey = randomBytes(32);
  // Copies: the provider zeroes the response buffers it reads.
  kms.on(GenerateDataKeyCommand).callsFake(() => ({
    Plaintext: Uint8Array.from(dataKey),
    CiphertextBlob: Uint8Array.from(wrappedBlob),
    KeyId: KEY_ARN,
  }));
  kms.on(DecryptCommand).callsFake(() => ({ Plaintext: Uint8Array.from(dataKey), KeyId: KEY_ARN }));
});

describe("KmsKeyProvider", () => {
  it("asks GenerateDataKey for an AES_256 key bound to the context", async () => {
    const out = await provider().generateDataKey(context);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(GenerateDataKeyCommand, {
      KeyId: KEY_ARN,
      KeySpec: "AES_256",
      EncryptionContext: { tenant: "acme", connector_id: "pg-orders" },
    });
    expect(out).toEqual({ plaintext: dataKey, wrappedKey: wrappedBlob.toString("base64"), keyId: KEY_ARN });
  });

  it("sends Decrypt with the blob, the key id and the same context", async () => {
    const key = await provider().decryptDataKey(wrappedBlob.toString("base64"), KEY_ARN, context);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(DecryptCommand, {
      CiphertextBlob: new Uint8Array(wrappedBlob),
      KeyId: KEY_ARN,
      EncryptionContext: { tenant: "acme", connector_id: "pg-orders" },
    });
    expect(key).toEqual(dataKey);
  });

  it("turns AccessDenied into a KeyProviderError that names the error, not the key", async () => {
    kms.on(DecryptCommand).rejects(accessDenied());
    const err = await provider()
      .decryptDataKey(wrappedBlob.toString("base64"), KEY_ARN, context)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyProviderError);
    const { message, cause } = err as KeyProviderError;
    expect(message).toBe("KMS Decrypt failed: AccessDeniedException");
    expect((cause as Error).name).toBe("AccessDeniedException");
    for (const encoding of ["base64", "hex"] as const) expect(message).not.toContain(dataKey.toString(encoding));
  });

  it("turns a GenerateDataKey failure into a KeyProviderError", async () => {
    kms.on(GenerateDataKeyCommand).rejects(accessDenied());
    await expect(provider().generateDataKey(context)).rejects.toThrow(
      new KeyProviderError("KMS GenerateDataKey failed: AccessDeniedException"),
    );
  });

  it("turns InvalidCiphertextException (wrong context) into ContextMismatchError", async () => {
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ $metadata: {}, message: "" }));
    await expect(
      provider().decryptDataKey(wrappedBlob.toString("base64"), KEY_ARN, { ...context, tenant: "globex" }),
    ).rejects.toThrow(ContextMismatchError);
  });

  it("round-trips an envelope sealed through KMS", async () => {
    const codec = new EnvelopeCodec(provider());
    const envelope = await codec.seal({ password: "hunter2" }, context);
    expect(envelope).toMatchObject({ provider: "kms", key_id: KEY_ARN, wrapped_key: wrappedBlob.toString("base64") });
    expect(JSON.stringify(envelope)).not.toContain("hunter2");
    expect(await codec.open(envelope, context)).toEqual({ password: "hunter2" });
  });

  describe("rewrapDataKey", () => {
    it("leaves a data key under the configured key alone, without calling KMS", async () => {
      const out = await provider().rewrapDataKey("d3JhcHBlZA==", KEY_ARN, context);
      expect(out).toEqual({ wrappedKey: "d3JhcHBlZA==", keyId: KEY_ARN, changed: false });
      expect(kms).not.toHaveReceivedAnyCommand();
    });

    it("re-encrypts a data key under another key id, keeping the context", async () => {
      kms.on(ReEncryptCommand).resolves({
        CiphertextBlob: Uint8Array.from(Buffer.from("rewrapped")),
        SourceKeyId: OLD_KEY_ARN,
        KeyId: KEY_ARN,
      });
      const out = await provider().rewrapDataKey(wrappedBlob.toString("base64"), OLD_KEY_ARN, context);
      expect(kms).toHaveReceivedCommandExactlyOnceWith(ReEncryptCommand, {
        CiphertextBlob: new Uint8Array(wrappedBlob),
        SourceKeyId: OLD_KEY_ARN,
        SourceEncryptionContext: context,
        DestinationKeyId: KEY_ARN,
        DestinationEncryptionContext: context,
      });
      expect(out).toEqual({ wrappedKey: Buffer.from("rewrapped").toString("base64"), keyId: KEY_ARN, changed: true });
    });

    it("reports changed:false when KMS says source and destination are the same key (alias config)", async () => {
      kms.on(ReEncryptCommand).resolves({ CiphertextBlob: Uint8Array.from([1]), SourceKeyId: KEY_ARN, KeyId: KEY_ARN });
      const aliased = new KmsKeyProvider({ client: new KMSClient({ region: "eu-west-1" }), keyId: "alias/sluice" });
      const out = await aliased.rewrapDataKey("d3JhcHBlZA==", KEY_ARN, context);
      expect(out).toEqual({ wrappedKey: "d3JhcHBlZA==", keyId: KEY_ARN, changed: false });
    });
  });
});
