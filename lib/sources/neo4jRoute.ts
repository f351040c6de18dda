// How a Neo4j source reaches its server: the URI pointed at the checked address (or the SSH
// tunnel, or a TLS bridge to either), and the driver's encryption settings for ssl_mode; an
// unverified client certificate the driver reads only from files, in a private temp dir.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions } from "node:tls";
import type { Config } from "neo4j-driver";
import type { ConnectionConfig } from "../connectors/types.js";
import { networkPolicy } from "../net/policy.js";
import { openTlsBridge, type TlsBridge } from "../net/tlsBridge.js";
import { openEndpoint, uriTarget, type Endpoint } from "./endpoint.js";
import { classifyNetworkError, errorCode, SourceError } from "./errors.js";
import { effectiveSslMode, nodeTlsOptions, tlsAttempts, tlsMaterial } from "./tls.js";

export interface Neo4jRoute {
  uri: string;
  config: Config;
  endpoint: Endpoint;
  close(): Promise<void>;
}

/** `neo4j+s://` asks for a verified certificate, `+ssc` for TLS with any certificate. */
function schemeMode(scheme: string): string | undefined {
  if (scheme.endsWith("+s")) return "verify-full";
  if (scheme.endsWith("+ssc")) return "require";
  return undefined;
}

async function pemFiles(material: { ca?: string; cert?: string; key?: string }): Promise<{ dir?: string; ca?: string; cert?: string; key?: string }> {
  if (!material.ca && !material.cert) return {};
  const dir = await mkdtemp(join(tmpdir(), "sluice-neo4j-"));
  await chmod(dir, 0o700);
  const write = async (name: string, text: string | undefined) => {
    if (!text) return undefined;
    const file = join(dir, name);
    await writeFile(file, text, { mode: 0o600 });
    return file;
  };
  return { dir, ca: await write("ca.pem", material.ca), cert: await write("cert.pem", material.cert), key: await write("key.pem", material.key) };
}

/**
 * The driver's URI and settings. A checked certificate goes through a TLS bridge (the driver would
 * verify the address it connects to, or look the name up again), reached in plaintext on loopback;
 * `allow` and `prefer` take their first try.
 */
export async function neo4jRoute(config: ConnectionConfig, timeoutMs: number): Promise<Neo4jRoute> {
  const uri = config.uri as string;
  const scheme = uri.slice(0, uri.indexOf("://")).toLowerCase();
  const target = uriTarget(uri, 7687);
  const mode = tlsAttempts(effectiveSslMode(config, schemeMode(scheme)))[0]!;
  const endpoint = await openEndpoint(config, target, timeoutMs);
  const verified = mode === "verify-ca" || mode === "verify-full";
  // A routing table names servers the driver connects to with no hook for the guard: where
  // private networks are refused (and through the bridge) the server given is used directly.
  const routing = scheme.startsWith("neo4j") && networkPolicy().allowPrivate && !verified;
  const path = uri.slice(uri.indexOf("://") + 3).replace(/^[^/?#]*/, "");
  const rest = routing ? path : path.replace(/\?.*$/, ""); // a direct bolt:// URI takes no routing context
  const driverConfig: Config = {};
  let files: Awaited<ReturnType<typeof pemFiles>> = {};
  let bridge: TlsBridge | undefined;
  let host = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
  let port = endpoint.port;
  if (mode === "off" || mode === "driver-default") {
    driverConfig.encrypted = "ENCRYPTION_OFF";
  } else if (verified) {
    bridge = await openTlsBridge(endpoint.address, endpoint.port, nodeTlsOptions(mode, tlsMaterial(config), target.host) as ConnectionOptions);
    driverConfig.encrypted = "ENCRYPTION_OFF"; // the bridge's loopback leg
    host = "127.0.0.1";
    port = bridge.port;
  } else {
    files = await pemFiles(tlsMaterial(config));
    Object.assign(driverConfig, { encrypted: "ENCRYPTION_ON", trust: "TRUST_ALL_CERTIFICATES" });
    if (files.cert && files.key) driverConfig.clientCertificate = { certfile: files.cert, keyfile: files.key };
  }
  const tlsFailure = bridge?.failure;
  return {
    uri: `${routing ? "neo4j" : "bolt"}://${host}:${port}${rest}`,
    config: driverConfig,
    endpoint: {
      ...endpoint,
      explain: (error) => {
        const failure = tlsFailure?.();
        // The bridge's own failure (the certificate, the server unreachable) explains the driver's closed socket.
        if (!failure) return endpoint.explain(error);
        return endpoint.explain(new SourceError(classifyNetworkError(failure) ?? "ssl_error", failure.message, errorCode(failure), { cause: failure }));
      },
    },
    close: async () => {
      await bridge?.close();
      await endpoint.close().catch(() => undefined);
      if (files.dir) await rm(files.dir, { recursive: true, force: true });
    },
  };
}
