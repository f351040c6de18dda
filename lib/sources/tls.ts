// libpq's ssl_mode for the database sources: which TLS settings to try, in which order, the
// fallback loop (`allow` tries plain first, `prefer` TLS first; only a TLS failure falls back),
// and the Node TLS options of one attempt with the connector's PEM CA and client certificate.
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { ConnectionConfig } from "../connectors/types.js";
import type { SourceError } from "./errors.js";

/** One connection attempt's TLS: each driver maps these to its own options. */
export type TlsAttempt = "off" | "unverified" | "verify-ca" | "verify-full" | "driver-default";

export function tlsAttempts(sslMode: unknown): TlsAttempt[] {
  switch (sslMode) {
    case "disable":
      return ["off"];
    case "allow":
      return ["off", "unverified"];
    case "prefer":
      return ["unverified", "off"];
    case "require":
      return ["unverified"];
    case "verify-ca":
      return ["verify-ca"];
    case "verify-full":
      return ["verify-full"];
    default:
      return ["driver-default"]; // a DSN's own sslmode, or none
  }
}

/**
 * Connects with each attempt in turn until one works; a failure that is not about TLS ends
 * the search. `connect` cleans up after its own failed attempt.
 */
export async function connectWithTls<C>(
  sslMode: unknown,
  connect: (tls: TlsAttempt) => Promise<C>,
  classify: (error: unknown) => SourceError,
): Promise<C> {
  let last: SourceError | undefined;
  for (const tls of tlsAttempts(sslMode)) {
    try {
      return await connect(tls);
    } catch (error) {
      last = classify(error);
      if (last.type !== "ssl_error") break;
    }
  }
  throw last!;
}

/** connection_config's ssl_ca, ssl_cert and ssl_key (PEM text), as Node's TLS options name them. */
export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export function tlsMaterial(config: ConnectionConfig): TlsMaterial {
  const pem = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);
  const material: TlsMaterial = {};
  const ca = pem(config.ssl_ca);
  const cert = pem(config.ssl_cert);
  const key = pem(config.ssl_key);
  if (ca) material.ca = ca;
  if (cert) material.cert = cert;
  if (key) material.key = key;
  return material;
}

/**
 * ssl_mode as given; without one, what the PEM fields imply: a CA to check the server against
 * means verify-full, a client certificate alone means TLS (require). Else undefined (the driver's
 * default, or a DSN's own sslmode).
 */
export function effectiveSslMode(config: ConnectionConfig, fallback?: unknown): unknown {
  if (config.ssl_mode !== undefined) return config.ssl_mode;
  if (fallback !== undefined) return fallback;
  const material = tlsMaterial(config);
  if (material.ca) return "verify-full";
  if (material.cert) return "require";
  return undefined;
}

/**
 * Node's TLS options for one attempt: false for a plain connection, undefined to leave TLS to
 * the driver. `servername` is the host the user gave (the connection itself goes to a checked
 * address or a tunnel): it is sent as SNI and, under verify-full, checked against the certificate.
 */
export function nodeTlsOptions(tls: TlsAttempt, material: TlsMaterial, servername: string | undefined): ConnectionOptions | false | undefined {
  if (tls === "off") return false;
  if (tls === "driver-default") return undefined;
  const name = servername && isIP(servername) === 0 ? { servername } : {};
  const client = { ...(material.cert ? { cert: material.cert } : {}), ...(material.key ? { key: material.key } : {}) };
  if (tls === "unverified") return { rejectUnauthorized: false, ...client, ...name };
  const ca = material.ca ? { ca: material.ca } : {};
  // Node checks the host name against `servername`, or against the IP connected to when the user gave one.
  const identity = tls === "verify-ca" ? { checkServerIdentity: () => undefined } : servername && isIP(servername) !== 0 ? { host: servername } : {};
  return { rejectUnauthorized: true, ...ca, ...client, ...name, ...identity };
}
