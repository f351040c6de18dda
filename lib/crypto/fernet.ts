// Fernet tokens (https://github.com/fernet/spec) on node:crypto alone: the format Python's
// `cryptography` reads, so keys and tokens can move between the two.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { decodeBase64Url, encodeBase64Url } from "./base64url.js";
import { CryptoError, InvalidTokenError, KeyRingError } from "./errors.js";

const VERSION = 0x80;
const BLOCK = 16;
const HEADER = 1 + 8 + BLOCK; // version ‖ timestamp ‖ iv
const MAC = 32;
const MAX_CLOCK_SKEW_SECONDS = 60n;

export interface FernetEncryptOptions {
  now?: Date;
  /** Only for reproducing spec vectors; a fixed IV under one key breaks confidentiality. */
  iv?: Buffer;
}

export interface FernetDecryptOptions {
  ttlSeconds?: number;
  now?: Date;
}

/** Raw 32 key bytes from a base64url string or a Buffer; KeyRingError otherwise. */
export function decodeFernetKey(key: string | Buffer): Buffer {
  const raw = typeof key === "string" ? decodeBase64Url(key) : Buffer.from(key);
  if (raw?.length !== 32) {
    throw new KeyRingError("a Fernet key must be 32 bytes, given as base64url text or a Buffer");
  }
  return raw;
}

export class Fernet {
  readonly #signingKey: Buffer;
  readonly #encryptionKey: Buffer;

  /** The key is copied, so the caller may zero its buffer once the instance is built. */
  constructor(key: string | Buffer) {
    const raw = decodeFernetKey(key);
    this.#signingKey = raw.subarray(0, 16);
    this.#encryptionKey = raw.subarray(16, 32);
  }

  static generateKey(): string {
    return encodeBase64Url(randomBytes(32));
  }

  encrypt(data: Buffer | string, opts: FernetEncryptOptions = {}): string {
    const iv = opts.iv ?? randomBytes(BLOCK);
    if (iv.length !== BLOCK) throw new CryptoError(`Fernet IV must be ${BLOCK} bytes`);
    const seconds = epochSeconds(opts.now ?? new Date());
    if (seconds < 0n) throw new CryptoError("Fernet timestamps cannot precede 1970");

    const header = Buffer.alloc(HEADER);
    header.writeUInt8(VERSION, 0);
    header.writeBigUInt64BE(seconds, 1);
    iv.copy(header, 9);
    const cipher = createCipheriv("aes-128-cbc", this.#encryptionKey, iv);
    const signed = Buffer.concat([header, cipher.update(data), cipher.final()]);
    return encodeBase64Url(Buffer.concat([signed, this.#mac(signed)]));
  }

  decrypt(token: string, opts: FernetDecryptOptions = {}): Buffer {
    return this.decryptWithTimestamp(token, opts).data;
  }

  /**
   * Checks run in the order: shape, MAC, age, padding. Everything after the MAC is therefore
   * authentic, so `expired`, `clock_skew` and `bad_padding` mean this key did sign the token
   * (KeyRing relies on that), and padding errors cannot serve as an oracle.
   */
  decryptWithTimestamp(token: string, opts: FernetDecryptOptions = {}): { data: Buffer; timestamp: Date } {
    const bytes = decodeBase64Url(token);
    if (!bytes) throw new InvalidTokenError("bad_base64");
    if (bytes.length === 0) throw new InvalidTokenError("too_short");
    if (bytes[0] !== VERSION) throw new InvalidTokenError("bad_version");
    if (bytes.length < HEADER + MAC) throw new InvalidTokenError("too_short");
    const cipherLength = bytes.length - HEADER - MAC;
    if (cipherLength === 0 || cipherLength % BLOCK !== 0) throw new InvalidTokenError("bad_length");

    const signed = bytes.subarray(0, bytes.length - MAC);
    if (!timingSafeEqual(this.#mac(signed), bytes.subarray(bytes.length - MAC))) {
      throw new InvalidTokenError("bad_mac");
    }

    const issued = bytes.readBigUInt64BE(1);
    const now = epochSeconds(opts.now ?? new Date());
    if (issued > now + MAX_CLOCK_SKEW_SECONDS) throw new InvalidTokenError("clock_skew");
    if (opts.ttlSeconds !== undefined) {
      if (!Number.isFinite(opts.ttlSeconds) || opts.ttlSeconds < 0) {
        throw new CryptoError("ttlSeconds must be a non-negative finite number");
      }
      if (issued + BigInt(Math.floor(opts.ttlSeconds)) < now) throw new InvalidTokenError("expired");
    }

    const decipher = createDecipheriv("aes-128-cbc", this.#encryptionKey, bytes.subarray(9, HEADER));
    // Padding is checked by hand so a bad token yields our error, not an OpenSSL one.
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(signed.subarray(HEADER)), decipher.final()]);
    return { data: unpad(padded), timestamp: new Date(Number(issued) * 1000) };
  }

  #mac(signed: Buffer): Buffer {
    return createHmac("sha256", this.#signingKey).update(signed).digest();
  }
}

function epochSeconds(date: Date): bigint {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new CryptoError("invalid date");
  return BigInt(Math.floor(ms / 1000));
}

function unpad(padded: Buffer): Buffer {
  const n = padded[padded.length - 1] ?? 0;
  if (n < 1 || n > BLOCK) throw new InvalidTokenError("bad_padding");
  for (let i = padded.length - n; i < padded.length; i++) {
    if (padded[i] !== n) throw new InvalidTokenError("bad_padding");
  }
  return padded.subarray(0, padded.length - n);
}
