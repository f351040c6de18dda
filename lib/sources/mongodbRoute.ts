// How a MongoDB source reaches its servers: the URI's hosts guarded (or one host through the SSH
// tunnel), and the driver's TLS options for each ssl_mode attempt with the connector's PEM files.
import { isIP } from "node:net";
import type { MongoClient, MongoClientOptions } from "mongodb";
import type { ConnectionConfig } from "../connectors/types.js";
import { checkAddress, guardedResolver } from "../net/guard.js";
import { networkPolicy } from "../net/policy.js";
import { guardFailure, openEndpoint, sshTunnelOf, type Endpoint } from "./endpoint.js";
import { SourceError } from "./errors.js";
import type { TlsAttempt, TlsMaterial } from "./tls.js";

/** A MongoDB URI's parts around its host list (a replica set's seeds, or one SRV name). */
export function mongoHosts(uri: string): { head: string; hosts: { host: string; port: number }[]; tail: string; srv: boolean } {
  const schemeEnd = uri.indexOf("://") + 3;
  const rest = uri.slice(schemeEnd);
  const authorityEnd = rest.search(/[/?]/) < 0 ? rest.length : rest.search(/[/?]/);
  const at = rest.slice(0, authorityEnd).lastIndexOf("@");
  const authority = rest.slice(at + 1, authorityEnd);
  const hosts = authority.split(",").map((entry) => {
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 27017 };
    const [host = "", port] = entry.split(":");
    return { host: decodeURIComponent(host), port: port ? Number(port) : 27017 };
  });
  return { head: uri.slice(0, schemeEnd + at + 1), hosts, tail: rest.slice(authorityEnd), srv: /^mongodb\+srv:/i.test(uri) };
}

/** The driver's TLS options for one attempt, with the connector's PEM CA and client certificate. */
export function mongoTls(tls: TlsAttempt, material: TlsMaterial): MongoClientOptions {
  if (tls === "driver-default") return {};
  if (tls === "off") return { tls: false };
  const options: MongoClientOptions = { tls: true, ...material };
  if (tls === "unverified") options.tlsAllowInvalidCertificates = true;
  if (tls === "verify-ca") options.tlsAllowInvalidHostnames = true;
  return options;
}

/**
 * The URI and options that reach the servers: through the tunnel (one host, connected to
 * directly, TLS still naming it), or with every host the driver looks up guarded once.
 */
export async function mongoRoute(config: ConnectionConfig, timeoutMs: number): Promise<{ uri: string; options: MongoClientOptions; endpoint?: Endpoint }> {
  const uri = (config.uri ?? config.connection_string) as string;
  // The driver would connect to a SOCKS5 proxy past the guard.
  if (/[?&]proxyHost=/i.test(uri)) throw new SourceError("query_error", "the URI's proxyHost option is not supported; use ssh_tunnel");
  const parts = mongoHosts(uri);
  if (sshTunnelOf(config)) {
    const only = parts.hosts[0];
    if (parts.srv || parts.hosts.length !== 1 || !only) {
      throw new SourceError("query_error", "an ssh_tunnel reaches one MongoDB host: give a mongodb:// URI with a single host (not mongodb+srv://)");
    }
    const endpoint = await openEndpoint(config, only, timeoutMs);
    return { uri: `${parts.head}127.0.0.1:${endpoint.port}${parts.tail}`, options: { directConnection: true, servername: only.host }, endpoint };
  }
  const guard = guardedResolver();
  try {
    // Seeds are checked now, so a refused one fails at once; members the servers name later are
    // checked as the driver looks them up. An SRV name's targets are looked up by the driver.
    if (!parts.srv) await Promise.all(parts.hosts.map(({ host }) => guard.resolve(host)));
  } catch (error) {
    throw guardFailure(error);
  }
  // Members a replica set announces (hello's hosts) may be IP literals, which never reach
  // `lookup`: where private networks are refused, one seed host is connected to directly, and
  // announced members never at all. (Several seeds, or SRV, are a replica set by choice.)
  const direct = !networkPolicy().allowPrivate && !parts.srv && parts.hosts.length === 1;
  return { uri, options: { lookup: guard.lookup, ...(direct ? { directConnection: true } : {}) } };
}

/**
 * Checks each server the driver opens, a replica set's members included (the servers name them
 * in hello): an IP-literal member never reaches `lookup`. A refused one closes the client, and
 * `refusal()` says why; named members are checked by `lookup` as the driver connects.
 */
export function guardMembers(client: MongoClient): () => SourceError | undefined {
  let refusal: SourceError | undefined;
  client.on("serverOpening", ({ address }) => {
    const host = address.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    if (refusal || isIP(host) === 0) return;
    try {
      checkAddress(host, host);
    } catch (error) {
      refusal = guardFailure(error);
      void client.close().catch(() => undefined);
    }
  });
  return () => refusal;
}
