// Where a database source's driver connects: the one connection-endpoint layer every source goes
// through. Without a tunnel, the host is resolved once and checked by the network guard, and the
// driver is pointed at the checked address; with `ssh_tunnel`, at the tunnel's local end (the guard
// checks the SSH host; the bastion resolves the database host). TLS keeps the user's host name.
import type { ConnectionConfig } from "../connectors/types.js";
import { checkAddress, pinnedLookup, resolveAllowed, type LookupFunction } from "../net/guard.js";
import { networkPolicy } from "../net/policy.js";
import { classifyNetworkError, hostRefusalIn, SourceError } from "./errors.js";
import { openSshTunnel, type SshTunnel, type SshTunnelConfig } from "./sshTunnel.js";

export interface Endpoint {
  /** The host the user gave: TLS sends it as SNI and verify-full checks the certificate against it. */
  host: string;
  /** Where the TCP connection goes: the checked address, a socket directory, or 127.0.0.1 (the tunnel). */
  address: string;
  port: number;
  /** For drivers that take a `lookup`: answers `address` for any name, so nothing is looked up again. */
  lookup: LookupFunction;
  /** Through a tunnel: the tunnel's own failure when it explains a driver's (the bastion could not reach the host). */
  explain(error: SourceError): SourceError;
  close(): Promise<void>;
}

export function sshTunnelOf(config: ConnectionConfig): SshTunnelConfig | undefined {
  const tunnel = config.ssh_tunnel;
  return tunnel !== null && typeof tunnel === "object" && typeof (tunnel as SshTunnelConfig).host === "string" ? (tunnel as SshTunnelConfig) : undefined;
}

/** A guard refusal or a failed lookup, as the source reports it. */
export function guardFailure(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const refusal = hostRefusalIn(error);
  if (refusal) return new SourceError("host_not_allowed", refusal.message, undefined, { cause: refusal });
  const message = error instanceof Error ? error.message : String(error);
  return new SourceError(classifyNetworkError(error) ?? "dns_not_found", message, (error as { code?: string })?.code, { cause: error });
}

const direct = (host: string, address: string, port: number, family: 4 | 6 = 4): Endpoint => ({
  host,
  address,
  port,
  lookup: pinnedLookup({ host, address, family }),
  explain: (error) => error,
  close: async () => undefined,
});

/**
 * Opens the way to `target` for one operation; `close()` ends it (the tunnel, if any). Throws a
 * SourceError: host_not_allowed, dns_not_found, or the tunnel's ssh_* types.
 */
export async function openEndpoint(config: ConnectionConfig, target: { host: string; port: number }, timeoutMs: number): Promise<Endpoint> {
  const tunnelConfig = sshTunnelOf(config);
  if (tunnelConfig) {
    const tunnel: SshTunnel = await openSshTunnel(tunnelConfig, target, timeoutMs);
    return {
      ...direct(target.host, "127.0.0.1", tunnel.localPort),
      explain: (error) => tunnel.forwardFailure() ?? error,
      close: () => tunnel.close(),
    };
  }
  try {
    // A Unix socket directory (PostgreSQL's host=/var/run/postgresql) is this machine: loopback.
    if (target.host.startsWith("/")) {
      if (!networkPolicy().allowPrivate) checkAddress(target.host, "127.0.0.1");
      return direct(target.host, target.host, target.port);
    }
    const allowed = await resolveAllowed(target.host);
    return direct(target.host, allowed.address, target.port, allowed.family);
  } catch (error) {
    throw guardFailure(error);
  }
}

/** The host and port of a `scheme://user:pass@host:port/…` URI (one host), for the guard. */
export function uriTarget(uri: string, defaultPort: number): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SourceError("query_error", "the connection URI cannot be parsed");
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host: decodeURIComponent(host), port: url.port ? Number(url.port) : defaultPort };
}
