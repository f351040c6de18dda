// How a Neo4j source reaches its server: the URI pointed at the checked address (or the SSH
// tunnel), and the driver's encryption settings for ssl_mode with the connector's PEM files, which
// the driver reads only from files: they are written to a private temp dir removed on close.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "neo4j-driver";
import type { ConnectionConfig } from "../connectors/types.js";
import { openEndpoint, sshTunnelOf, uriTarget, type Endpoint } from "./endpoint.js";
import { effectiveSslMode, tlsAttempts, tlsMaterial } from "./tls.js";

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
 * The driver's URI and settings. Neo4j's driver checks the certificate's host name whenever it
 * checks the chain, so verify-ca behaves as verify-full; `allow` and `prefer` take their first try.
 */
export async function neo4jRoute(config: ConnectionConfig, timeoutMs: number): Promise<Neo4jRoute> {
  const uri = config.uri as string;
  const scheme = uri.slice(0, uri.indexOf("://")).toLowerCase();
  const base = scheme.replace(/\+s{1,2}c?$/, "");
  const target = uriTarget(uri, 7687);
  const mode = tlsAttempts(effectiveSslMode(config, schemeMode(scheme)))[0]!;
  const endpoint = await openEndpoint(config, target, timeoutMs);
  const rest = uri.slice(uri.indexOf("://") + 3).replace(/^[^/?#]*/, "");
  const driverConfig: Config = {};
  let files: Awaited<ReturnType<typeof pemFiles>> = {};
  let host = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
  if (mode === "off" || mode === "driver-default") {
    driverConfig.encrypted = "ENCRYPTION_OFF";
  } else {
    files = await pemFiles(tlsMaterial(config));
    driverConfig.encrypted = "ENCRYPTION_ON";
    if (mode === "unverified") driverConfig.trust = "TRUST_ALL_CERTIFICATES";
    else if (files.ca) Object.assign(driverConfig, { trust: "TRUST_CUSTOM_CA_SIGNED_CERTIFICATES", trustedCertificates: [files.ca] });
    else driverConfig.trust = "TRUST_SYSTEM_CA_SIGNED_CERTIFICATES";
    if (files.cert && files.key) driverConfig.clientCertificate = { certfile: files.cert, keyfile: files.key };
    // The driver verifies the certificate against the URI's host: a verified connection without a
    // tunnel keeps the name (and the driver looks it up after the guard checked it).
    if (mode !== "unverified" && !sshTunnelOf(config)) host = target.host.includes(":") ? `[${target.host}]` : target.host;
  }
  return {
    uri: `${base}://${host}:${endpoint.port}${rest}`,
    config: driverConfig,
    endpoint,
    close: async () => {
      await endpoint.close().catch(() => undefined);
      if (files.dir) await rm(files.dir, { recursive: true, force: true });
    },
  };
}
