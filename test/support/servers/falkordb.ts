// A Bolt server for the Neo4j source tests (there is no Neo4j here): the FalkorDB module from
// @falkordblite/linux-x64 loaded into valkey-server 8+ (Debian bookworm-backports, installed when
// missing and running as root on Debian), reached through a small proxy on 127.0.0.1, or NEO4J_URI.
//
// Known limits, found by test/integration/servers.test.ts against FalkorDB 4.16.3:
// - FalkorDB's own Bolt listener binds [::]:port, i.e. every interface, IPv4 and IPv6: its
//   socket_bind() hard-codes in6addr_any and no module argument changes it. Clients get `uri`,
//   the proxy on 127.0.0.1; the FalkorDB port itself stays open on all interfaces while the
//   server runs (valkey's own port is on 127.0.0.1).
// - After a client ends a connection with GOODBYE, the next new connection hangs (every second
//   driver would time out); a connection that is simply dropped leaves no such trace. The proxy
//   drops GOODBYE and closes the upstream connection instead.
// - BOLT_PORT must be below 32768: a higher one is ignored without a word, and Bolt is off.
// - No authentication: connect with no auth token at all. `neo4j.auth.none()` hangs the
//   handshake; `basic` only works with principal "falkordb" and valkey's requirepass (and a wrong
//   password hangs rather than failing), while a tokenless client still gets in. So no password
//   is checked and none is returned.
// - Temporal values (date/localdatetime/duration) kill the server when returned over Bolt.
import { readFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import neo4j from "neo4j-driver";
import {
  ensureCommand,
  freePort,
  LOOPBACK,
  makeTempDir,
  onFreePort,
  PortTakenError,
  run,
  spawnTethered,
  waitUntil,
} from "./net.js";

export interface FalkorDbServer {
  /** bolt://127.0.0.1:port */
  uri: string;
  /** FalkorDB's own Bolt listener (on every interface), behind `uri`: for tests of the server itself. */
  falkorUri?: string;
  /** Only when NEO4J_USER / NEO4J_PASSWORD are set with NEO4J_URI. */
  user?: string;
  password?: string;
  stop(): Promise<void>;
}

const MISSING =
  "install valkey-server 8+ (Debian 12: apt-get install -t bookworm-backports valkey-server) or set NEO4J_URI";
const READY_TIMEOUT_MS = 30_000;
const BACKPORTS = {
  file: "/etc/apt/sources.list.d/bookworm-backports.list",
  line: "deb http://deb.debian.org/debian bookworm-backports main",
};

export async function startFalkorDb(): Promise<FalkorDbServer> {
  const given = process.env.NEO4J_URI;
  if (given) {
    const user = process.env.NEO4J_USER;
    const password = process.env.NEO4J_PASSWORD;
    await waitUntil(`NEO4J_URI=${given}`, 10_000, () => ping(given, user, password));
    return { uri: given, ...(user ? { user } : {}), ...(password ? { password } : {}), stop: async () => undefined };
  }

  // Debian 12's redis (7.0) and the package's own redis-server (built for glibc 2.38) cannot
  // load this module; valkey 8 comes from bookworm-backports there.
  const bookworm = /VERSION_CODENAME=bookworm/.test(await readFile("/etc/os-release", "utf8").catch(() => ""));
  const valkey = await ensureCommand(
    "valkey-server",
    ["valkey-server"],
    MISSING,
    bookworm ? { targetRelease: "bookworm-backports", source: BACKPORTS } : {},
  );
  const version = await run(valkey, ["--version"]);
  const major = Number(/v=(\d+)\./.exec(version)?.[1]);
  if (!(major >= 8)) throw new Error(`valkey-server is too old (${version.trim()}): ${MISSING}`);

  const module = falkorModule();
  return onFreePort((port) => launch(valkey, module, port));
}

function falkorModule(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve("@falkordblite/linux-x64/package.json");
    return join(dirname(pkg), "bin", "falkordb.so");
  } catch (err) {
    throw new Error(`the FalkorDB module is missing: run npm install (@falkordblite/linux-x64) or set NEO4J_URI`, {
      cause: err,
    });
  }
}

async function launch(valkey: string, module: string, port: number): Promise<FalkorDbServer> {
  // The Bolt listener binds [::], so the port must be free there; and FalkorDB silently
  // ignores a BOLT_PORT above 32767 (no listener at all), so it comes from below that.
  let boltPort = await freePort({ host: "::", below: 32_768 });
  while (boltPort === port) boltPort = await freePort({ host: "::", below: 32_768 });
  const dir = await makeTempDir("falkordb");
  const log = join(dir, "valkey.log");
  const server = spawnTethered(
    valkey,
    [
      "--port", String(port),
      "--bind", LOOPBACK,
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--logfile", log,
      "--loadmodule", module, "BOLT_PORT", String(boltPort),
    ],
    dir,
  );
  const falkorUri = `bolt://${LOOPBACK}:${boltPort}`;
  const proxy = await boltProxy(boltPort);
  const uri = `bolt://${LOOPBACK}:${proxy.port}`;
  const stop = async () => {
    await proxy.close();
    await server.stop();
  };
  try {
    await waitUntil(`FalkorDB at ${falkorUri}`, READY_TIMEOUT_MS, () => ping(uri), () =>
      server.running() ? undefined : "valkey-server exited",
    );
  } catch (err) {
    const text = await readFile(log, "utf8").catch(() => "(no log)");
    await stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}\nvalkey log:\n${text.slice(-6_000)}`;
    if (/Address already in use|Failed to bind/.test(text)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  return { uri, falkorUri, stop };
}

const GOODBYE = Buffer.from([0xb0, 0x02]);
/** The Bolt handshake: magic preamble and four proposed versions. FalkorDB answers with one version. */
const HANDSHAKE_BYTES = 20;

/**
 * Forwards Bolt connections from 127.0.0.1 to FalkorDB, except GOODBYE (see the limits above).
 * Client messages are chunks (2-byte size, data) ended by an empty chunk; each whole message
 * is passed on or, when it is GOODBYE, replaced by closing the upstream connection.
 */
async function boltProxy(targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(targetPort, LOOPBACK);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let handshake = HANDSHAKE_BYTES;
    let message: Buffer[] = [];
    client.on("data", (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      if (handshake > 0) {
        const n = Math.min(handshake, pending.length);
        upstream.write(pending.subarray(0, n));
        pending = pending.subarray(n);
        handshake -= n;
      }
      while (handshake === 0 && pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < 2 + size) break;
        message.push(pending.subarray(0, 2 + size));
        pending = pending.subarray(2 + size);
        if (size > 0) continue;
        const whole = Buffer.concat(message);
        message = [];
        // GOODBYE alone: [00 02] [B0 02] [00 00]
        if (whole.length === 6 && whole.subarray(2, 4).equals(GOODBYE)) upstream.destroy();
        else upstream.write(whole);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(0, LOOPBACK, () => resolve());
  });
  return {
    port: (proxy.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

async function ping(uri: string, user?: string, password?: string): Promise<void> {
  // No auth token at all unless credentials are given (see the limits above).
  const auth = user ? neo4j.auth.basic(user, password ?? "") : undefined;
  const driver = neo4j.driver(uri, auth, { connectionTimeout: 2_000, maxConnectionPoolSize: 1 });
  try {
    await driver.verifyConnectivity();
    const session = driver.session();
    try {
      await session.run("RETURN 1 AS x");
    } finally {
      await session.close();
    }
  } finally {
    await driver.close();
  }
}
