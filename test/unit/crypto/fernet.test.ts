// Fernet against the official spec vectors (test/fixtures/fernet-spec, from fernet/spec).
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Fernet } from "../../../lib/crypto/fernet.js";
import { InvalidTokenError, KeyRingError, type InvalidTokenReason } from "../../../lib/crypto/errors.js";

interface Vector {
  desc?: string;
  token: string;
  now: string;
  iv?: number[];
  src?: string;
  ttl_sec?: number;
  secret: string;
}

function vectors(name: "generate" | "verify" | "invalid"): Vector[] {
  const url = new URL(`../../fixtures/fernet-spec/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Vector[];
}

// Which check each invalid vector must trip: a wrong reason means the checks run out of order.
const expectedReason: Record<string, InvalidTokenReason> = {
  "incorrect mac": "bad_mac",
  "too short": "too_short",
  "invalid base64": "bad_base64",
  "payload size not multiple of block size": "bad_length",
  "payload padding error": "bad_padding",
  "far-future TS (unacceptable clock skew)": "clock_skew",
  "expired TTL": "expired",
  "incorrect IV (causes padding error)": "bad_padding",
};

function decryptError(run: () => unknown): InvalidTokenError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTokenError);
    return err as InvalidTokenError;
  }
  throw new Error("expected an InvalidTokenError, nothing was thrown");
}

describe("Fernet spec vectors", () => {
  describe("generate", () => {
    for (const [i, v] of vectors("generate").entries()) {
      it(v.desc ?? `generate #${i + 1}: ${JSON.stringify(v.src)}`, () => {
        const token = new Fernet(v.secret).encrypt(v.src ?? "", { now: new Date(v.now), iv: Buffer.from(v.iv ?? []) });
        expect(token).toBe(v.token);
      });
    }
  });

  describe("verify", () => {
    for (const [i, v] of vectors("verify").entries()) {
      it(v.desc ?? `verify #${i + 1}: ${JSON.stringify(v.src)}`, () => {
        const data = new Fernet(v.secret).decrypt(v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) });
        expect(data.toString("utf8")).toBe(v.src);
      });
    }
  });

  describe("invalid", () => {
    const all = vectors("invalid");
    it("covers every invalid vector with an expected reason", () => {
      expect(all.map((v) => v.desc).sort()).toEqual(Object.keys(expectedReason).sort());
    });
    for (const v of all) {
      it(v.desc ?? v.token, () => {
        const fernet = new Fernet(v.secret);
        const err = decryptError(() => fernet.decrypt(v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) }));
        expect(err.reason).toBe(expectedReason[v.desc ?? ""]);
      });
    }
  });
});

describe("Fernet", () => {
  const key = Fernet.generateKey();

  it("generates 32-byte keys in padded base64url", () => {
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
  });

  it("round-trips a block-aligned and a non-block-aligned payload", () => {
    const fernet = new Fernet(key);
    for (const payload of ["0123456789abcdef", "not sixteen bytes: é ✓", ""]) {
      expect(fernet.decrypt(fernet.encrypt(payload)).toString("utf8")).toBe(payload);
    }
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    expect(fernet.decrypt(fernet.encrypt(binary))).toEqual(binary);
  });

  it("accepts tokens and keys without padding, and a raw key Buffer", () => {
    const unpaddedKey = key.replace(/=+$/, "");
    const token = new Fernet(unpaddedKey).encrypt("x").replace(/=+$/, "");
    expect(new Fernet(Buffer.from(key, "base64url")).decrypt(token).toString()).toBe("x");
  });

  it("rejects standard base64 and non-canonical encodings as bad_base64", () => {
    const [v] = vectors("verify");
    if (!v) throw new Error("no verify vector");
    const fernet = new Fernet(v.secret);
    const opts = { ttlSeconds: v.ttl_sec, now: new Date(v.now) };
    const standard = v.token.replace(/-/g, "+").replace(/_/g, "/");
    expect(standard).not.toBe(v.token);
    expect(decryptError(() => fernet.decrypt(standard, opts)).reason).toBe("bad_base64");
    expect(decryptError(() => fernet.decrypt(`${v.token}==`, opts)).reason).toBe("bad_base64");
    expect(decryptError(() => fernet.decrypt(` ${v.token}`, opts)).reason).toBe("bad_base64");
    // Last char "A" → "B" sets a bit past the final byte: same bytes, second spelling.
    const unpadded = v.token.replace(/=+$/, "");
    expect(unpadded.endsWith("A")).toBe(true);
    expect(decryptError(() => fernet.decrypt(`${unpadded.slice(0, -1)}B`, opts)).reason).toBe("bad_base64");
  });

  it("rejects a wrong version byte", () => {
    const fernet = new Fernet(key);
    const bytes = Buffer.from(fernet.encrypt("x"), "base64url");
    bytes[0] = 0x81;
    expect(decryptError(() => fernet.decrypt(bytes.toString("base64url"))).reason).toBe("bad_version");
  });

  it("rejects a correctly signed token without a ciphertext block as bad_length", () => {
    const raw = Buffer.from(key, "base64url");
    const signed = Buffer.from(Buffer.from(new Fernet(key).encrypt("x"), "base64url").subarray(0, 25));
    const token = Buffer.concat([signed, createHmac("sha256", raw.subarray(0, 16)).update(signed).digest()]);
    expect(decryptError(() => new Fernet(key).decrypt(token.toString("base64url"))).reason).toBe("bad_length");
  });

  it("detects a flipped ciphertext bit through the MAC", () => {
    const fernet = new Fernet(key);
    const bytes = Buffer.from(fernet.encrypt("some secret"), "base64url");
    bytes[30] = (bytes[30] ?? 0) ^ 1;
    expect(decryptError(() => fernet.decrypt(bytes.toString("base64url"))).reason).toBe("bad_mac");
  });

  it("applies ttl and the 60 s clock-skew allowance", () => {
    const fernet = new Fernet(key);
    const issued = new Date("2024-01-01T00:00:00Z");
    const token = fernet.encrypt("x", { now: issued });
    const at = (seconds: number) => new Date(issued.getTime() + seconds * 1000);
    expect(fernet.decrypt(token, { ttlSeconds: 10, now: at(10) }).toString()).toBe("x");
    expect(decryptError(() => fernet.decrypt(token, { ttlSeconds: 10, now: at(11) })).reason).toBe("expired");
    expect(fernet.decrypt(token, { now: at(-60) }).toString()).toBe("x");
    expect(decryptError(() => fernet.decrypt(token, { now: at(-61) })).reason).toBe("clock_skew");
  });

  it("refuses keys that are not 32 bytes of base64url", () => {
    expect(() => new Fernet("too-short")).toThrow(KeyRingError);
    expect(() => new Fernet(Buffer.alloc(16))).toThrow(KeyRingError);
    expect(() => new Fernet(`${key.slice(0, 10)}!${key.slice(11)}`)).toThrow(KeyRingError);
  });
});
