// Identifiers: a type prefix plus a ULID (time-ordered, 80 random bits), so ids sort by creation.
import { randomBytes } from "node:crypto";

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function ulid(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let tail = "";
  for (let i = 0; i < 16; i++) tail += alphabet[random[i]! % 32];
  return time + tail;
}

export function newId(prefix: string): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}
