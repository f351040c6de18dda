// KeyRing: MultiFernet behaviour, rotation that lets old keys go, and key-list parsing.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidTokenError, KeyRingError } from "../../../lib/crypto/errors.js";
import { Fernet } from "../../../lib/crypto/fernet.js";
import { KeyRing } from "../../../lib/crypto/keyRing.js";

const oldKey = Fernet.generateKey();
const newKey = Fernet.generateKey();
const strayKey = Fernet.generateKey();

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTokenError);
    return (err as InvalidTokenError).reason;
  }
  throw new Error("expected an InvalidTokenError, nothing was thrown");
}

describe("KeyRing", () => {
  it("names keys fk_ + 12 hex chars of sha256 over the raw key bytes", () => {
    const ring = new KeyRing([newKey, oldKey]);
    const id = (key: string) => "fk_" + createHash("sha256").update(Buffer.from(key, "base64url")).digest("hex").slice(0, 12);
    expect(ring.keyIds).toEqual([id(newKey), id(oldKey)]);
    expect(ring.primaryKeyId).toBe(id(newKey));
  });

  it("encrypts with the first key and decrypts with any", () => {
    const ring = new KeyRing([newKey, oldKey]);
    const token = ring.encrypt("secret");
    expect(new Fernet(newKey).decrypt(token).toString()).toBe("secret");
    expect(reasonOf(() => new Fernet(oldKey).decrypt(token))).toBe("bad_mac");
    expect(ring.decrypt(new Fernet(oldKey).encrypt("from old")).toString()).toBe("from old");
    expect(ring.keyIdOf(token)).toBe(ring.keyIds[0]);
  });

  it("fails on a token from a key outside the ring", () => {
    const token = new Fernet(strayKey).encrypt("secret");
    expect(reasonOf(() => new KeyRing([newKey, oldKey]).decrypt(token))).toBe("no_matching_key");
    expect(reasonOf(() => new KeyRing([newKey]).decrypt(token))).toBe("bad_mac");
    expect(new KeyRing([newKey, oldKey]).keyIdOf(token)).toBeUndefined();
  });

  it("reports expiry from the key that signed, not no_matching_key", () => {
    const issued = new Date("2024-01-01T00:00:00Z");
    const token = new Fernet(oldKey).encrypt("x", { now: issued });
    const later = new Date(issued.getTime() + 120_000);
    expect(reasonOf(() => new KeyRing([newKey, oldKey]).decrypt(token, { ttlSeconds: 60, now: later }))).toBe("expired");
  });

  it("rotate() re-encrypts under the primary, keeps the timestamp, and lets the old key go", () => {
    const issued = new Date("2024-01-01T00:00:00Z");
    const token = new Fernet(oldKey).encrypt("secret", { now: issued });
    const ring = new KeyRing([newKey, oldKey]);
    const rotated = ring.rotate(token);

    expect(rotated).not.toBe(token);
    expect(ring.keyIdOf(rotated)).toBe(ring.primaryKeyId);
    const primaryOnly = new KeyRing([newKey]);
    expect(primaryOnly.decrypt(rotated).toString()).toBe("secret");
    expect(reasonOf(() => primaryOnly.decrypt(token))).toBe("bad_mac");
    // Same 8 timestamp bytes after the version byte.
    expect(Buffer.from(rotated, "base64url").subarray(1, 9)).toEqual(Buffer.from(token, "base64url").subarray(1, 9));
  });

  it("rotate() refuses a token no key verifies", () => {
    const token = new Fernet(strayKey).encrypt("x");
    expect(reasonOf(() => new KeyRing([newKey, oldKey]).rotate(token))).toBe("no_matching_key");
  });

  describe("parse", () => {
    it("trims entries and ignores empty ones", () => {
      const ring = KeyRing.parse(` ${newKey} ,, ${oldKey},`);
      expect(ring.keyIds).toEqual(new KeyRing([newKey, oldKey]).keyIds);
    });

    it("refuses an empty list", () => {
      expect(() => KeyRing.parse(" , ,")).toThrow(KeyRingError);
      expect(() => new KeyRing([])).toThrow(KeyRingError);
    });

    it("names the position of a bad key, never the key", () => {
      const bad = newKey.slice(0, 20);
      let caught: unknown;
      try {
        KeyRing.parse(`${oldKey},${bad}`);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(KeyRingError);
      const message = (caught as Error).message;
      expect(message).toMatch(/position 2/);
      expect(message).not.toContain(bad);
      expect(message).not.toContain(oldKey);
    });

    it("refuses keys of the wrong length or alphabet", () => {
      expect(() => KeyRing.parse(Buffer.alloc(16).toString("base64url"))).toThrow(KeyRingError);
      expect(() => KeyRing.parse(Buffer.alloc(32, 0xff).toString("base64"))).toThrow(/position 1/);
    });
  });
});
