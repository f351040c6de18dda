// EventBridge Scheduler names are ≤ 64 characters of [0-9a-zA-Z-_.], while tenant and connector
// ids are free text: the name keeps a readable prefix for the console and a hash for uniqueness.

import { createHash } from "node:crypto";

const MAX_LENGTH = 64;
const HASH_CHARS = 16;
const PREFIX = "sl-";
// Room left for the readable part: "sl-" + readable + "-" + hash.
const READABLE_CHARS = MAX_LENGTH - PREFIX.length - 1 - HASH_CHARS;

export function scheduleName(tenant: string, connectorId: string): string {
  // The NUL separator keeps ("a", "bc") and ("ab", "c") apart; ids cannot contain it usefully.
  const hash = createHash("sha256").update(`${tenant}\0${connectorId}`).digest("hex").slice(0, HASH_CHARS);
  const readable = `${tenant}-${connectorId}`.replace(/[^0-9a-zA-Z_.-]/g, "_").slice(0, READABLE_CHARS);
  return `${PREFIX}${readable}-${hash}`;
}
