// Strict base64url decoding for Fernet tokens and keys: Buffer.from(…, "base64url") silently
// skips foreign characters, which would let a mangled token reach the MAC check as other bytes.

const SHAPE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes base64url with or without `=` padding; undefined for anything else. */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!SHAPE.test(text)) return undefined;
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return undefined;
  if (body.length !== text.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(body, "base64url");
  // Non-zero bits after the last full byte would give two spellings of one token.
  if (bytes.toString("base64url") !== body) return undefined;
  return bytes;
}

/** Encodes with `=` padding, as the Fernet spec and Python's cryptography produce it. */
export function encodeBase64Url(bytes: Buffer): string {
  return bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}
