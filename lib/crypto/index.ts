// Public face of lib/crypto: Fernet tokens, key rings, key providers and envelope encryption.
export {
  ContextMismatchError,
  CryptoError,
  InvalidTokenError,
  KeyProviderError,
  KeyRingError,
  type InvalidTokenReason,
} from "./errors.js";
export { Fernet, type FernetDecryptOptions, type FernetEncryptOptions } from "./fernet.js";
export { KeyRing } from "./keyRing.js";
export type { DataKey, EncryptionContext, KeyProvider } from "./keyProvider/contract.js";
export { KmsKeyProvider } from "./keyProvider/kms.js";
export { LocalKeyProvider } from "./keyProvider/local.js";
export { EnvelopeCodec, type Envelope } from "./envelope.js";
