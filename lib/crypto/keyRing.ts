// A ring of Fernet keys with MultiFernet semantics: the first key encrypts, any key decrypts,
// so a new key can be put in front and the old ones retired once rotate() has run.
import { createHash } from "node:crypto";
import { Fernet, decodeFernetKey, type FernetDecryptOptions } from "./fernet.js";
import { InvalidTokenError, KeyRingError, type InvalidTokenReason } from "./errors.js";

interface RingKey {
  id: string;
  fernet: Fernet;
}

// Failures that come after the MAC check in Fernet: the key did sign the token.
const SIGNED_BY_KEY: ReadonlySet<InvalidTokenReason> = new Set(["expired", "clock_skew", "bad_padding"]);

export class KeyRing {
  readonly keyIds: string[];
  readonly #keys: RingKey[];

  constructor(keys: string[]) {
    this.#keys = loadKeys(keys.map((key, i) => ({ key, position: i + 1 })));
    this.keyIds = this.#keys.map((k) => k.id);
  }

  /** Positions in errors count entries of the original list from 1, empty ones included. */
  static parse(commaSeparated: string): KeyRing {
    const entries = commaSeparated
      .split(",")
      .map((key, i) => ({ key: key.trim(), position: i + 1 }))
      .filter((e) => e.key !== "");
    loadKeys(entries);
    return new KeyRing(entries.map((e) => e.key));
  }

  get primaryKeyId(): string {
    return this.#primary.id;
  }

  encrypt(data: Buffer | string): string {
    return this.#primary.fernet.encrypt(data);
  }

  decrypt(token: string, opts: FernetDecryptOptions = {}): Buffer {
    return this.#open(token, opts).data;
  }

  /** Like Python's MultiFernet.rotate: the original timestamp survives, so TTLs still hold. */
  rotate(token: string): string {
    const { data, timestamp } = this.#open(token, {});
    return this.#primary.fernet.encrypt(data, { now: timestamp });
  }

  /** Id of the key whose MAC matches, even when the token is otherwise unusable (e.g. skewed). */
  keyIdOf(token: string): string | undefined {
    for (const key of this.#keys) {
      try {
        key.fernet.decryptWithTimestamp(token);
        return key.id;
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) throw err;
        if (SIGNED_BY_KEY.has(err.reason)) return key.id;
        if (err.reason !== "bad_mac") return undefined;
      }
    }
    return undefined;
  }

  get #primary(): RingKey {
    // loadKeys guarantees at least one key.
    return this.#keys[0] as RingKey;
  }

  #open(token: string, opts: FernetDecryptOptions): { data: Buffer; timestamp: Date } {
    let macError: InvalidTokenError | undefined;
    for (const key of this.#keys) {
      try {
        return key.fernet.decryptWithTimestamp(token, opts);
      } catch (err) {
        // Anything but a MAC mismatch is final: the token is malformed, or this key signed it.
        if (!(err instanceof InvalidTokenError) || err.reason !== "bad_mac") throw err;
        macError = err;
      }
    }
    if (this.#keys.length === 1 && macError) throw macError;
    throw new InvalidTokenError("no_matching_key", "no key in the ring verifies this Fernet token", {
      cause: macError,
    });
  }
}

function loadKeys(entries: Array<{ key: string; position: number }>): RingKey[] {
  if (entries.length === 0) throw new KeyRingError("the key ring is empty: at least one Fernet key is needed");
  return entries.map(({ key, position }) => {
    let raw: Buffer;
    try {
      raw = decodeFernetKey(key);
    } catch (err) {
      throw new KeyRingError(`key at position ${position} is not a valid Fernet key (32 bytes, base64url)`, {
        cause: err,
      });
    }
    const id = "fk_" + createHash("sha256").update(raw).digest("hex").slice(0, 12);
    const fernet = new Fernet(raw);
    raw.fill(0);
    return { id, fernet };
  });
}
