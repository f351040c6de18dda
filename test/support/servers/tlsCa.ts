// A certificate authority made with openssl for the TLS tests: its CA certificate, and server and
// client certificates it issues (EC P-256 keys, a day's validity), all as PEM text and files.
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureCommand, makeTempDir, run } from "./net.js";

/** PEM files for a database server with TLS on, and the CA its client certificates must chain to. */
export interface ServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface Issued {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  dir: string;
  caPem: string;
  caFile: string;
  /** A server certificate for these names (DNS) and addresses (IP). */
  server(name: string, alt: { dns?: string[]; ip?: string[] }): Promise<Issued>;
  /** A client certificate whose CN is `user` (PostgreSQL's cert check matches it to the role). */
  client(user: string): Promise<Issued>;
  remove(): Promise<void>;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export async function createTestCa(label: string): Promise<TestCa> {
  const openssl = await ensureCommand("openssl", ["openssl"], "install openssl (apt-get install openssl)");
  const dir = await makeTempDir(`ca-${label}`);
  const caFile = join(dir, "ca.pem");
  const caKey = join(dir, "ca.key");
  await run(openssl, ["req", "-x509", ...EC_KEY, "-keyout", caKey, "-out", caFile, "-days", "1", "-subj", `/CN=Sluice Test CA ${label}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  let serial = 0;
  const issue = async (name: string, cn: string, extensions: string[]): Promise<Issued> => {
    const base = join(dir, `${name}-${++serial}`);
    const keyFile = `${base}.key`;
    const certFile = `${base}.pem`;
    const extFile = `${base}.ext`;
    await writeFile(extFile, extensions.join("\n") + "\n");
    await run(openssl, ["req", "-new", ...EC_KEY, "-keyout", keyFile, "-out", `${base}.csr`, "-subj", `/CN=${cn}`]);
    await run(openssl, ["x509", "-req", "-in", `${base}.csr`, "-CA", caFile, "-CAkey", caKey, "-set_serial", String(Date.now() + serial), "-days", "1", "-out", certFile, "-extfile", extFile]);
    return { certPem: await readFile(certFile, "utf8"), keyPem: await readFile(keyFile, "utf8"), certFile, keyFile };
  };
  return {
    dir,
    caFile,
    caPem: await readFile(caFile, "utf8"),
    server: (name, alt) => {
      const names = [...(alt.dns ?? []).map((d) => `DNS:${d}`), ...(alt.ip ?? []).map((ip) => `IP:${ip}`)];
      return issue("server", name, ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth", `subjectAltName=${names.join(",")}`]);
    },
    client: (user) => issue("client", user, ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"]),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
