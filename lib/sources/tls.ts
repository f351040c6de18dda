// libpq's ssl_mode for the SQL sources: which TLS settings to try, in which order, and the
// fallback loop (`allow` tries plain first, `prefer` TLS first; only a TLS failure falls back).
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
