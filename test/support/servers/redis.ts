// A Redis-protocol server for the redis source tests: Debian's valkey-server (or redis-server;
// valkey-server installed when neither is there and this is root on Debian), without persistence,
// on 127.0.0.1 only, with a password on the default user and an ACL user of its own.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "redis";
import {
  ensureCommand,
  findCommand,
  LOOPBACK,
  makeTempDir,
  newPassword,
  onFreePort,
  PortTakenError,
  run,
  spawnTethered,
  waitUntil,
} from "./net.js";

export interface RedisServer {
  host: string;
  port: number;
  /** requirepass: the default user's password. */
  password: string;
  /** An ACL user with its own password and every permission. */
  user: string;
  userPassword: string;
  /** An ACL user with the same password that may only read (+@read +@connection). */
  reader: string;
  /** redis://:password@127.0.0.1:port (rediss:// with TLS) */
  url: string;
  /** With TLS: the PEM certificate the server presents, which is its own CA. */
  ca?: string;
  /** A connected client (the default user), for seeding; closed by stop(). */
  client: SeedingClient;
  stop(): Promise<void>;
}

const seedingClient = (url: string, ca?: string) => createClient({ url, socket: { reconnectStrategy: false, ...(ca ? { tls: true as const, ca } : {}) } });
type SeedingClient = ReturnType<typeof seedingClient>;

const MISSING = "install valkey-server (apt-get install valkey-server) or redis-server";
const USER = "sluice_app";
/** Only @read and @connection: no INFO, no TIME, no writes. */
const READER = "sluice_reader";
const READY_TIMEOUT_MS = 30_000;

/** With `tls`, the server listens with TLS only, on a certificate for 127.0.0.1 signed by itself (`ca`). */
export async function startRedis(options: { tls?: boolean } = {}): Promise<RedisServer> {
  const server = (await findCommand("valkey-server")) ?? (await findCommand("redis-server")) ?? (await ensureCommand("valkey-server", ["valkey-server"], MISSING));
  const openssl = options.tls ? await ensureCommand("openssl", ["openssl"], "install openssl (apt-get install openssl) for the TLS test certificate") : undefined;
  return onFreePort((port) => launch(server, port, openssl));
}

/** A self-signed certificate for 127.0.0.1 in `dir`: the server's, and the CA a client trusts. */
async function selfSigned(openssl: string, dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", `subjectAltName=IP:${LOOPBACK}`]);
  return { cert, key };
}

async function launch(command: string, port: number, openssl: string | undefined): Promise<RedisServer> {
  const dir = await makeTempDir("redis");
  const tls = openssl ? await selfSigned(openssl, dir) : undefined;
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.cert, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const log = join(dir, "server.log");
  const password = newPassword();
  const userPassword = newPassword();
  const server = spawnTethered(
    command,
    [
      ...listen,
      "--bind", LOOPBACK,
      "--protected-mode", "yes",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--logfile", log,
      "--requirepass", password,
      "--user", USER, "on", `>${userPassword}`, "~*", "&*", "+@all",
      "--user", READER, "on", `>${userPassword}`, "~*", "+@read", "+@connection",
    ],
    dir,
  );
  const url = `${tls ? "rediss" : "redis"}://:${password}@${LOOPBACK}:${port}`;
  const ca = tls ? await readFile(tls.cert, "utf8") : undefined;
  const client = seedingClient(url, ca);
  client.on("error", () => undefined);
  try {
    await waitUntil(`${command} on ${LOOPBACK}:${port}`, READY_TIMEOUT_MS, () => ping(url, ca), () =>
      server.running() ? undefined : "the server exited",
    );
    await client.connect();
  } catch (err) {
    const text = await readFile(log, "utf8").catch(() => "(no log)");
    await server.stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}\nserver log:\n${text.slice(-6_000)}`;
    if (/Address already in use/.test(text)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  return {
    host: LOOPBACK,
    port,
    password,
    user: USER,
    userPassword,
    reader: READER,
    ...(ca ? { ca } : {}),
    url,
    client,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

async function ping(url: string, ca: string | undefined): Promise<void> {
  const client = seedingClient(url, ca);
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.destroy();
  }
}
