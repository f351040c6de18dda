// The connection side of the PostgreSQL source: where a DSN points (as pg reads it), its own
// sslmode, and ending a client that may never hear back from its server.
import type pg from "pg";

/**
 * Ends a client without waiting on a server that may never answer: end() waits for the socket to
 * close, which a connection that failed in its TLS handshake (a refused client certificate) may
 * never do. The socket is destroyed after a moment either way.
 */
export async function endClient(client: pg.Client): Promise<void> {
  const ended = client.end().catch(() => undefined);
  await Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref())]);
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** Where a DSN points: its `host` and `port` query parameters win over the authority, as pg reads them. */
export function dsnTarget(url: URL): { host: string; port: number } {
  const host = url.searchParams.get("host") || decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, "$1"));
  return { host, port: Number(url.searchParams.get("port") || url.port) || 5432 };
}

/** A DSN's own sslmode, which ssl_mode overrides; taken out so pg's parser cannot override the TLS options. */
export function dsnSslMode(url: URL): string | undefined {
  const mode = url.searchParams.get("sslmode") ?? undefined;
  url.searchParams.delete("sslmode");
  return mode;
}
