// The network policy of this process: which address ranges user-given hosts may resolve to, and
// where names are resolved. Sources and HTTP clients are opened without the services, so the
// wiring root installs the policy from the configuration here (ALLOW_PRIVATE_NETWORKS, DNS_SERVERS).

export interface NetworkPolicy {
  /** Loopback and private ranges (RFC 1918, ULA, CGNAT, …) may be connected to. Metadata and link-local never are. */
  allowPrivate: boolean;
  /** `host:port` DNS servers names are resolved at; absent: the system resolver (getaddrinfo, /etc/hosts). */
  dnsServers?: string[];
}

/** Until the wiring installs one: the local runtime's default (private networks allowed, the system resolver). */
const LOCAL_DEFAULT: NetworkPolicy = { allowPrivate: true };

let installed: NetworkPolicy = LOCAL_DEFAULT;

/** Called once by createServices with the policy from the configuration. */
export function installNetworkPolicy(policy: NetworkPolicy): void {
  installed = policy;
}

export function networkPolicy(): NetworkPolicy {
  return installed;
}
