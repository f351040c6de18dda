// Errors raised by lib/crypto. Messages name what failed and where, never key material or
// plaintext: they end up in logs and, through the HTTP layer, in responses.
import type { ErrorOptions } from "../errors.js";

export class CryptoError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CryptoError";
  }
}

export type InvalidTokenReason =
  | "bad_base64"
  | "too_short"
  | "bad_version"
  | "bad_mac"
  | "bad_padding"
  | "bad_length"
  | "expired"
  | "clock_skew"
  | "no_matching_key";

/** A Fernet token that is malformed, forged, stale or from a key we do not hold. */
export class InvalidTokenError extends CryptoError {
  readonly reason: InvalidTokenReason;
  constructor(reason: InvalidTokenReason, message?: string, options?: ErrorOptions) {
    super(message ?? `invalid Fernet token: ${reason}`, options);
    this.name = "InvalidTokenError";
    this.reason = reason;
  }
}

/** A key that is not 32 bytes of base64url, or a ring with no key at all. */
export class KeyRingError extends CryptoError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyRingError";
  }
}

/** An envelope opened with another tenant/connector context than the one it was sealed with. */
export class ContextMismatchError extends CryptoError {
  constructor(message = "encryption context does not match the one the data key was wrapped with", options?: ErrorOptions) {
    super(message, options);
    this.name = "ContextMismatchError";
  }
}

/** The key service (KMS) failed; the cause carries the SDK error, the message only its name. */
export class KeyProviderError extends CryptoError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyProviderError";
  }
}
