import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hostKeyMatches } from "../../../lib/sources/sshTunnel.js";

// An ssh-ed25519 key blob: string "ssh-ed25519", then the 32-byte public key, each length-prefixed.
function ed25519Blob(): Buffer {
  const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
}

describe("hostKeyMatches (known_host_key)", () => {
  const blob = ed25519Blob();
  const other = ed25519Blob();
  const line = `ssh-ed25519 ${blob.toString("base64")}`;

  it("matches the .pub text, with or without a comment, and a known_hosts line", () => {
    expect(hostKeyMatches(line, blob)).toBe(true);
    expect(hostKeyMatches(`${line} root@bastion`, blob)).toBe(true);
    expect(hostKeyMatches(`bastion.example.com,10.0.0.5 ${line}`, blob)).toBe(true);
  });

  it("matches a SHA256 fingerprint", () => {
    const fingerprint = createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    expect(hostKeyMatches(`SHA256:${fingerprint}`, blob)).toBe(true);
    expect(hostKeyMatches(`SHA256:${fingerprint}`, other)).toBe(false);
  });

  it("refuses another key", () => {
    expect(hostKeyMatches(line, other)).toBe(false);
    expect(hostKeyMatches("not a key", blob)).toBe(false);
  });
});
