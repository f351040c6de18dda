// mysql2's side of TLS: its settings for one ssl_mode attempt, and telling a missing client
// certificate from a wrong password, which MySQL and MariaDB answer alike.
import { TLSSocket } from "node:tls";
import type { Connection, ConnectionOptions } from "mysql2";
import { errorCode, SourceError } from "./errors.js";
import { nodeTlsOptions, type TlsAttempt, type TlsMaterial } from "./tls.js";

export type SslSetting = ConnectionOptions["ssl"];

/**
 * mysql2's TLS settings for one attempt: Node's, less what mysql2 sets itself (it sends the
 * connection's host as SNI), with host-name verification only under verify-full.
 */
export function sslSetting(tls: TlsAttempt, material: TlsMaterial): SslSetting {
  const options = nodeTlsOptions(tls, material, undefined);
  if (!options) return undefined;
  const { ca, cert, key, rejectUnauthorized } = options;
  return {
    ...(typeof ca === "string" ? { ca } : {}),
    ...(typeof cert === "string" ? { cert } : {}),
    ...(typeof key === "string" ? { key } : {}),
    rejectUnauthorized,
    verifyIdentity: tls === "verify-full",
  };
}

/**
 * MariaDB and MySQL refuse an account that REQUIRES X509 with the same "access denied" as a wrong
 * password. Where the server asked for a client certificate (its TLS CertificateRequest, seen in
 * the signature algorithms both sides share) and none was given, that is the likelier cause.
 */
export function withoutAskedCertificate(error: unknown, connection: Connection, options: ConnectionOptions): unknown {
  const stream = (connection as unknown as { stream?: unknown }).stream;
  // null once the socket is gone (a failed handshake)
  const asked = stream instanceof TLSSocket && (stream.getSharedSigalgs() as string[] | null)?.length;
  const given = typeof options.ssl === "object" && options.ssl.cert !== undefined;
  if (!asked || given || errorCode(error) !== "ER_ACCESS_DENIED_ERROR") return error;
  const message = `${(error as Error).message}; the server asked for a client certificate and none was given (ssl_cert, ssl_key): an account that REQUIRES X509 is refused without one`;
  return new SourceError("ssl_error", message, errorCode(error), { cause: error });
}
