// The network guard (SSRF): every user-given host is resolved once, each address checked against
// the policy, and the connection made to the checked address only, so a name that answers
// differently the second time (DNS rebinding) never gets that second lookup.
//
//   const allowed = await resolveAllowed(host);            // throws HostNotAllowedError
//   net.connect({ host, port, lookup: pinnedLookup(allowed) });
//   https.request(url, { lookup: pinnedLookup(allowed) }); // or guardedFetch(url, init)
//   driver({ lookup: guardedResolver().lookup });          // drivers that look up many hosts
import { promises as dns, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { addressRange } from "./addresses.js";
import { HostNotAllowedError } from "./errors.js";
import { networkPolicy, type NetworkPolicy } from "./policy.js";

export interface AllowedAddress {
  /** The host as the user gave it (the name TLS verifies and SNI sends). */
  host: string;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
}

const DNS_TIMEOUT_MS = 5_000;
const PRIVATE_HINT = "; private and loopback addresses are allowed only with ALLOW_PRIVATE_NETWORKS=true";

/** Throws HostNotAllowedError when the policy refuses `address`, the one `host` resolved to. */
export function checkAddress(host: string, address: string, policy: NetworkPolicy = networkPolicy()): void {
  const range = addressRange(address);
  if (!range) throw new HostNotAllowedError(host, address, "non-IP", "");
  if (range.standing === "always") throw new HostNotAllowedError(host, address, range.range, "");
  if (range.standing === "private" && !policy.allowPrivate) throw new HostNotAllowedError(host, address, range.range, PRIVATE_HINT);
}

function notFound(host: string, cause?: unknown): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`, { cause }), { code: "ENOTFOUND", hostname: host });
}

async function resolveAt(servers: string[], host: string): Promise<LookupAddress[]> {
  // RFC 6761: localhost is this machine's loopback, whatever a configured server says.
  if (host.toLowerCase() === "localhost" || host.toLowerCase().endsWith(".localhost")) return [{ address: "127.0.0.1", family: 4 }];
  const resolver = new dns.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
  resolver.setServers(servers);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const found = [
    ...(v4.status === "fulfilled" ? v4.value.map((address) => ({ address, family: 4 })) : []),
    ...(v6.status === "fulfilled" ? v6.value.map((address) => ({ address, family: 6 })) : []),
  ];
  if (found.length > 0) return found;
  const reason = v4.status === "rejected" ? v4.reason : v6.status === "rejected" ? v6.reason : undefined;
  const code = (reason as { code?: string } | undefined)?.code;
  if (code === "ETIMEOUT" || code === "ECONNREFUSED") throw Object.assign(new Error(`DNS lookup of ${host} failed: ${code}`, { cause: reason }), { code: "EAI_AGAIN" });
  throw notFound(host, reason);
}

/** Every address `host` resolves to, in the resolver's order. */
async function resolveAll(host: string, policy: NetworkPolicy): Promise<LookupAddress[]> {
  if (policy.dnsServers && policy.dnsServers.length > 0) return resolveAt(policy.dnsServers, host);
  const found = await dns.lookup(host, { all: true, verbatim: true });
  if (found.length === 0) throw notFound(host);
  return found;
}

/**
 * Resolves `host` (a name or an IP literal, `[v6]` allowed) once and checks every address it
 * resolves to: one refused address refuses the host, so a name answering a public address first
 * and a private one second cannot slip through. Returns the first address, to connect to only.
 * Throws HostNotAllowedError, or the resolver's error (code ENOTFOUND, EAI_AGAIN).
 */
export async function resolveAllowed(host: string, policy: NetworkPolicy = networkPolicy()): Promise<AllowedAddress> {
  const name = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const literal = isIP(name.replace(/%.*$/, ""));
  const addresses = literal ? [{ address: name, family: literal }] : await resolveAll(name, policy);
  for (const { address } of addresses) checkAddress(name, address, policy);
  const first = addresses[0]!;
  return { host: name, address: first.address, family: first.family === 6 ? 6 : 4 };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The `lookup` option of net.connect, tls.connect and http.request. */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

function answer(options: LookupOptions, allowed: Pick<AllowedAddress, "address" | "family">, callback: LookupCallback): void {
  // Node asks for all addresses when it races IPv4 and IPv6 (autoSelectFamily).
  if (options.all) callback(null, [{ address: allowed.address, family: allowed.family }]);
  else callback(null, allowed.address, allowed.family);
}

/** A `lookup` that answers the checked address whatever it is asked: no second DNS query. */
export function pinnedLookup(allowed: AllowedAddress): LookupFunction {
  return (_hostname, options, callback) => answer(options, allowed, callback);
}

export interface GuardedResolver {
  /** A `lookup` for drivers: each name it is asked for is guarded once, then answered from that. */
  lookup: LookupFunction;
  /** Guards `host` ahead of the driver (so a refusal comes at once), keeping the answer for `lookup`. */
  resolve(host: string): Promise<AllowedAddress>;
}

/**
 * Guards every name a driver looks up, once per name: the first answer is kept for the
 * resolver's life (one operation), so a driver that reconnects or monitors a host (MongoDB's
 * replica-set members) reaches the address that was checked. Refusals reach the driver as errors.
 */
export function guardedResolver(policy: NetworkPolicy = networkPolicy()): GuardedResolver {
  const pinned = new Map<string, Promise<AllowedAddress>>();
  const resolve = (host: string) => {
    let allowed = pinned.get(host);
    if (!allowed) {
      allowed = resolveAllowed(host, policy);
      allowed.catch(() => undefined); // a refusal is reported to whoever asked
      pinned.set(host, allowed);
    }
    return allowed;
  };
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (address) => answer(options, address, callback),
      (error: unknown) => callback(error as NodeJS.ErrnoException, ""),
    );
  };
  return { lookup, resolve };
}
