// Server side of SCRAM-SHA-256 and SCRAM-SHA-1 (RFC 5802 / 7677) as MongoDB runs it through
// saslStart/saslContinue. Keys are derived once per user; the password is not kept.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { authenticationFailed, CommandError } from "./errors.js";

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-1";
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ["SCRAM-SHA-1", "SCRAM-SHA-256"];

interface ScramKeys {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface ScramUser {
  name: string;
  keys: Record<ScramMechanism, ScramKeys>;
}

// MongoDB's default iteration counts; the driver refuses anything under 4096.
const PARAMETERS = {
  "SCRAM-SHA-256": { hash: "sha256", iterations: 15_000, keyBytes: 32 },
  "SCRAM-SHA-1": { hash: "sha1", iterations: 10_000, keyBytes: 20 },
} as const;

const hmac = (hash: string, key: Buffer, text: string): Buffer => createHmac(hash, key).update(text).digest();

function deriveKeys(mechanism: ScramMechanism, password: string): ScramKeys {
  const { hash, iterations, keyBytes } = PARAMETERS[mechanism];
  const salt = randomBytes(keyBytes);
  const salted = pbkdf2Sync(password, salt, iterations, keyBytes, hash);
  const clientKey = hmac(hash, salted, "Client Key");
  return { salt, iterations, storedKey: createHash(hash).update(clientKey).digest(), serverKey: hmac(hash, salted, "Server Key") };
}

/** SASLprep is the identity for the ASCII passwords tests use, so it is skipped. */
export function scramUser(name: string, password: string): ScramUser {
  // MongoDB's SCRAM-SHA-1 salts the legacy MD5 "digest password", not the password itself.
  const digestPassword = createHash("md5").update(`${name}:mongo:${password}`).digest("hex");
  return {
    name,
    keys: { "SCRAM-SHA-256": deriveKeys("SCRAM-SHA-256", password), "SCRAM-SHA-1": deriveKeys("SCRAM-SHA-1", digestPassword) },
  };
}

function attributes(message: string): Map<string, string> {
  const pairs = message.split(",").map((part) => [part.slice(0, 1), part.slice(2)] as const);
  return new Map(pairs);
}

const decodeName = (name: string): string => name.replace(/=2C/g, ",").replace(/=3D/g, "=");

/** One authentication attempt on one connection, from client-first to server-final. */
export class ScramConversation {
  readonly user: ScramUser;
  readonly #mechanism: ScramMechanism;
  readonly #channelBinding: string;
  readonly #clientFirstBare: string;
  readonly #serverFirst: string;
  readonly #nonce: string;

  private constructor(user: ScramUser, mechanism: ScramMechanism, gs2Header: string, clientFirstBare: string, clientNonce: string) {
    this.user = user;
    this.#mechanism = mechanism;
    this.#channelBinding = Buffer.from(gs2Header).toString("base64");
    this.#clientFirstBare = clientFirstBare;
    this.#nonce = clientNonce + randomBytes(24).toString("base64");
    const keys = user.keys[mechanism];
    this.#serverFirst = `r=${this.#nonce},s=${keys.salt.toString("base64")},i=${keys.iterations}`;
  }

  /** Parses client-first; unknown mechanisms and users fail here, as on a real server. */
  static start(mechanism: unknown, payload: Uint8Array, findUser: (name: string) => ScramUser | undefined): ScramConversation {
    if (mechanism !== "SCRAM-SHA-256" && mechanism !== "SCRAM-SHA-1") {
      throw new CommandError(334, "MechanismUnavailable", `Received authentication for mechanism ${String(mechanism)} which is not enabled`);
    }
    const text = Buffer.from(payload).toString("utf8");
    const match = /^([ny]),[^,]*,(.*)$/s.exec(text);
    if (!match) throw new CommandError(17, "ProtocolError", "Invalid SCRAM client-first message");
    const gs2Header = text.slice(0, text.length - match[2]!.length);
    const bare = match[2]!;
    const attrs = attributes(bare);
    const user = findUser(decodeName(attrs.get("n") ?? ""));
    const clientNonce = attrs.get("r");
    if (!user || !clientNonce) throw authenticationFailed();
    return new ScramConversation(user, mechanism, gs2Header, bare, clientNonce);
  }

  get serverFirst(): string {
    return this.#serverFirst;
  }

  /** Checks the client proof and returns server-final (`v=<signature>`) for the client to verify us. */
  finish(payload: Uint8Array): string {
    const text = Buffer.from(payload).toString("utf8");
    const proofAt = text.lastIndexOf(",p=");
    if (proofAt < 0) throw authenticationFailed();
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get("c") !== this.#channelBinding || attrs.get("r") !== this.#nonce) throw authenticationFailed();
    const { hash } = PARAMETERS[this.#mechanism];
    const keys = this.user.keys[this.#mechanism];
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const proof = Buffer.from(text.slice(proofAt + 3), "base64");
    const signature = hmac(hash, keys.storedKey, authMessage);
    if (proof.length !== signature.length) throw authenticationFailed();
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
    if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), keys.storedKey)) throw authenticationFailed();
    return `v=${hmac(hash, keys.serverKey, authMessage).toString("base64")}`;
  }
}
