// Redaction of connection configs for responses and logs, and the PATCH rule that a
// `***REDACTED***` value keeps the stored secret. Over-redacting is safe; under-redacting leaks.

export const REDACTED = "***REDACTED***";

const secretName = /pass(word|wd)?|pwd|secret|token|key|credential|private/i;
const identifierName = /(^|_)ids?$|Ids?$/;
const uriName = /^(dsn|uri|url|connection_string|connection_uri)$/i;

/** Named like secrets, but public by nature: an SSH server's host key. */
const publicName = /^known_host_key$/;

/** True for field names whose values are secrets: password, *secret*, *token*, *key* (ssl_key, private_key). */
export function isSecretKey(name: string): boolean {
  return secretName.test(name) && !identifierName.test(name) && !publicName.test(name);
}

interface UriParts {
  head: string; // scheme:// plus the user, if any
  password: string | undefined;
  tail: string; // from the '@' on, or everything after scheme:// when there is no userinfo
}

// WHATWG URL rejects multi-host MongoDB URIs, so split by hand: the userinfo ends at the
// last '@' (a stray '@' later in the string only widens what is hidden).
function splitUri(uri: string): UriParts | undefined {
  const schemeEnd = uri.indexOf("://");
  if (schemeEnd < 0) return undefined;
  const scheme = uri.slice(0, schemeEnd + 3);
  const rest = uri.slice(schemeEnd + 3);
  const at = rest.lastIndexOf("@");
  if (at < 0) return { head: scheme, password: undefined, tail: rest };
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0) return { head: scheme + userinfo, password: undefined, tail: rest.slice(at) };
  return { head: scheme + userinfo.slice(0, colon), password: userinfo.slice(colon + 1), tail: rest.slice(at) };
}

function redactQuery(tail: string): string {
  const q = tail.indexOf("?");
  if (q < 0) return tail;
  const params = tail
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      const name = decodeURIComponent(pair.slice(0, eq));
      return isSecretKey(name) || /authMechanismProperties/i.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${tail.slice(0, q)}?${params.join("&")}`;
}

function uriQuerySecrets(tail: string): string[] {
  const q = tail.indexOf("?");
  if (q < 0) return [];
  return tail
    .slice(q + 1)
    .split("&")
    .map((pair) => [decoded(pair.slice(0, Math.max(0, pair.indexOf("=")))), pair.slice(pair.indexOf("=") + 1)] as const)
    .filter(([key, item]) => key !== "" && item !== "" && (isSecretKey(key) || /authMechanismProperties/i.test(key)))
    .map(([, item]) => item);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The URI with its password (and secret-named query parameters) replaced by ***REDACTED***. */
export function redactUri(uri: string): string {
  const parts = splitUri(uri);
  if (!parts) return uri;
  const userinfo = parts.password === undefined ? parts.head : `${parts.head}:${REDACTED}`;
  return userinfo + redactQuery(parts.tail);
}

/** A copy of a connection config fit to show: every secret replaced by ***REDACTED***. */
export function redactConfig(value: unknown, name = ""): unknown {
  if (value === null || value === undefined) return value;
  if (isSecretKey(name) && typeof value !== "boolean") return REDACTED;
  if (typeof value === "string") return uriName.test(name) || value.includes("://") ? redactUri(value) : value;
  if (Array.isArray(value)) return value.map((item) => redactConfig(item, name));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactConfig(item, key)]));
  }
  return value;
}

/** Every secret value of a config, so callers can prove none of them leaked. */
export function secretValues(value: unknown, name = ""): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") {
    if (isSecretKey(name)) return [value];
    const parts = splitUri(value);
    if (!parts) return [];
    // As written and as the driver decodes it (a driver's error may echo either), and the
    // values of secret-named query parameters (`?password=…`).
    const found = [...(parts.password ? [parts.password] : []), ...uriQuerySecrets(parts.tail)];
    return [...new Set(found.flatMap((secret) => [secret, decoded(secret)]))];
  }
  if (typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => secretValues(item, Array.isArray(value) ? name : key));
  }
  return [];
}

/** A message with every given secret replaced: drivers sometimes echo a URI or a password. */
export function scrubSecrets(message: string, secrets: string[]): string {
  let clean = message;
  // Very short values would blank out ordinary words; such a password is not a secret anyway.
  for (const secret of secrets) if (secret.length >= 3) clean = clean.split(secret).join(REDACTED);
  return clean;
}

/**
 * Applies the PATCH rule: wherever the incoming config holds ***REDACTED*** (a secret field, or
 * the password of a URI), the stored value is kept; any other value replaces it.
 * Returns the path of a REDACTED placeholder that has no stored value to keep, if any.
 */
export function keepRedactedSecrets(
  incoming: Record<string, unknown>,
  stored: Record<string, unknown>,
  prefix = "connection_config",
): { merged: Record<string, unknown>; unresolved?: string } {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(incoming)) {
    const previous = stored[key];
    const field = `${prefix}.${key}`;
    if (value === REDACTED) {
      if (previous === undefined || previous === null) return { merged, unresolved: field };
      merged[key] = previous;
    } else if (typeof value === "string" && value.includes(REDACTED) && value.includes("://")) {
      const parts = splitUri(value);
      const kept = typeof previous === "string" ? splitUri(previous)?.password : undefined;
      if (!parts || parts.password !== REDACTED || kept === undefined) return { merged, unresolved: field };
      merged[key] = `${parts.head}:${kept}${parts.tail}`;
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      const inner = keepRedactedSecrets(
        value as Record<string, unknown>,
        previous && typeof previous === "object" ? (previous as Record<string, unknown>) : {},
        field,
      );
      if (inner.unresolved) return inner;
      merged[key] = inner.merged;
    } else {
      merged[key] = value;
    }
  }
  return { merged };
}

const destinationKey = /^(host|hostname|hosts|base_url|token_url|authorize_url)$/i;

/**
 * Where a config sends its secrets: its host fields and the host part of every URI in it, SSH
 * bastions included. A stored secret may only ever reach where it was given for, so a PATCH
 * that changes this must send its secrets again (see ConnectorService.update).
 */
export function destinationOf(value: unknown, name = ""): string[] {
  if (value === null || value === undefined) return [];
  const leaf = name.slice(name.lastIndexOf(".") + 1);
  if (typeof value === "string") {
    const parts = splitUri(value);
    if (parts) return [`${name}=${parts.tail.replace(/^@/, "").split(/[/?#]/, 1)[0]!.toLowerCase()}`];
    return destinationKey.test(leaf) ? [`${name}=${value.toLowerCase()}`] : [];
  }
  if (typeof value === "number") return leaf === "port" ? [`${name}=${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((item) => destinationOf(item, name));
  if (typeof value === "object") return Object.entries(value).flatMap(([key, item]) => destinationOf(item, name ? `${name}.${key}` : key));
  return [];
}
