// Groups Redis keys into the patterns they were made from, for discovery: `product:123` and
// `product:124` are `product:*`, `user:42:cart` is `user:*:cart`. A key is split at `:`; a part
// that holds a digit (an id, a date, a hash) or a {hash tag} is variable. Parts without digits
// (slugs, `product:red-shirt`) are variable only when enough siblings differ there alone.

const SEPARATOR = ":";
/** Keys that differ only in their last part make one pattern once there are this many. */
export const SIBLINGS_FOR_WILDCARD = 3;

const isVariable = (part: string, index: number) => index > 0 && (/\d/.test(part) || /^\{.*\}$/.test(part) || part.length > 40);

/** The key's pattern by its own parts alone (the first part always stays: it names the kind). */
export function keyPattern(key: string): string {
  const parts = key.split(SEPARATOR);
  if (parts.length === 1) return key;
  return parts.map((part, i) => (isVariable(part, i) ? "*" : escapeGlob(part))).join(SEPARATOR);
}

/** Glob characters in a literal part are escaped, so the pattern works as a SCAN MATCH. */
function escapeGlob(part: string): string {
  return part.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The patterns of a sample of keys, with the keys that made each. Patterns that differ only in
 * their last (literal) part merge into `prefix:*` when at least SIBLINGS_FOR_WILDCARD of them do.
 */
export function groupKeys(keys: Iterable<string>): Map<string, string[]> {
  const byPattern = new Map<string, string[]>();
  for (const key of keys) {
    const pattern = keyPattern(key);
    const list = byPattern.get(pattern);
    if (list) list.push(key);
    else byPattern.set(pattern, [key]);
  }
  const byPrefix = new Map<string, string[]>();
  for (const pattern of byPattern.keys()) {
    const cut = pattern.lastIndexOf(SEPARATOR);
    if (cut < 0 || pattern.endsWith(`${SEPARATOR}*`)) continue;
    const prefix = pattern.slice(0, cut);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), pattern]);
  }
  for (const [prefix, patterns] of byPrefix) {
    if (patterns.length < SIBLINGS_FOR_WILDCARD) continue;
    const merged = `${prefix}${SEPARATOR}*`;
    const keysOf = byPattern.get(merged) ?? [];
    for (const pattern of patterns) {
      keysOf.push(...byPattern.get(pattern)!);
      byPattern.delete(pattern);
    }
    byPattern.set(merged, keysOf);
  }
  return new Map([...byPattern].sort(([a], [b]) => a.localeCompare(b)));
}
