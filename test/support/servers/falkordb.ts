// A Bolt server for the Neo4j source tests (there is no Neo4j here): the FalkorDB module from
// @falkordblite/linux-x64 loaded into valkey-server 8+ (Debian bookworm-backports, installed when
// missing and running as root on Debian), reached through a small proxy on 127.0.0.1, or NEO4J_URI.
//
// valkey-server runs in a network namespace of its own (`unshare --net`, or as a mapped root
// user when not root), where only `lo` is up. FalkorDB's Bolt listener binds every interface
// (below), but those are the namespace's interfaces: nothing of it is reachable from outside,
// nor from this host. The proxy on 127.0.0.1 gets to it through a Unix socket in the server's
// temp dir (file system sockets cross namespaces), accepted by a small Node bridge inside the
// namespace that connects to FalkorDB at 127.0.0.1 there; the bridge also starts valkey-server and
// stops it on SIGTERM, so the tether (net.ts) stops both and removes the temp dir.
//
// Known limits, found by test/integration/servers.test.ts against FalkorDB 4.16.3:
// - FalkorDB's own Bolt listener binds [::]:port, i.e. every interface, IPv4 and IPv6: its
//   socket_bind() hard-codes in6addr_any and no module argument changes it. Hence the namespace.
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
import { ensureCommand, freePort, isRoot, LOOPBACK, makeTempDir, run, spawnTethered, waitUntil } from "./net.js";

export interface FalkorDbServer {
  /** bolt://127.0.0.1:port */
  uri: string;
  /** FalkorDB's own Bolt port, open only in the server's network namespace: for tests of the server itself. */
  boltPort?: number;
  /** A process in that namespace (/proc/<pid>/net shows its sockets), while the server runs. */
  namespacePid?: number;
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
/** valkey's own port, inside the namespace (where every port is free). */
const VALKEY_PORT = 6379;

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
  const unshare = await ensureCommand("unshare", ["util-linux"], `util-linux's unshare runs FalkorDB apart; ${MISSING}`);
  const ip = await ensureCommand("ip", ["iproute2"], `iproute2's ip brings up lo for FalkorDB; ${MISSING}`);

  return launch({ valkey, module: falkorModule(), unshare, ip });
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

/**
 * Runs in the namespace (CommonJS, argv: ip, temp dir, Bolt port, server command and args):
 * brings up lo, records its pid, starts the server and passes SIGTERM on to it, exits with it,
 * and forwards every connection on <dir>/bolt.sock to 127.0.0.1:<Bolt port>.
 */
const NAMESPACE_BRIDGE = `
const { execFileSync, spawn } = require("node:child_process");
const { writeFileSync } = require("node:fs");
const net = require("node:net");
const [ip, dir, boltPort, command, ...args] = process.argv.slice(1);
execFileSync(ip, ["link", "set", "lo", "up"], { stdio: "inherit" });
writeFileSync(dir + "/netns.pid", String(process.pid));
const server = spawn(command, args, { stdio: "inherit" });
process.on("SIGTERM", () => server.kill("SIGTERM"));
server.on("error", (err) => { console.error(err.message); process.exit(127); });
server.on("exit", (code) => process.exit(code ?? 1));
net.createServer((client) => {
  const upstream = net.connect(Number(boltPort), "127.0.0.1");
  for (const [from, to] of [[client, upstream], [upstream, client]]) {
    from.pipe(to);
    from.on("error", () => undefined);
    from.on("close", () => to.destroy());
  }
}).listen(dir + "/bolt.sock");
`;

async function launch(tools: { valkey: string; module: string; unshare: string; ip: string }): Promise<FalkorDbServer> {
  // In its own namespace any port is free; the Bolt port is one that is also free here only so
  // that a test can tell it from anything else listening here. FalkorDB silently ignores a
  // BOLT_PORT above 32767 (no listener at all), so it comes from below that.
  const boltPort = await freePort({ host: "::", below: 32_768 });
  const dir = await makeTempDir("falkordb");
  const log = join(dir, "valkey.log");
  // As root a network namespace is enough; otherwise a user namespace maps us to root in it.
  const namespace = isRoot() ? ["--net"] : ["--user", "--map-root-user", "--net"];
  const server = spawnTethered(
    tools.unshare,
    [
      ...namespace, "--",
      process.execPath, "-e", NAMESPACE_BRIDGE, tools.ip, dir, String(boltPort),
      tools.valkey,
      "--port", String(VALKEY_PORT),
      "--bind", LOOPBACK,
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--logfile", log,
      "--loadmodule", tools.module, "BOLT_PORT", String(boltPort),
    ],
    dir,
  );
  const proxy = await boltProxy(join(dir, "bolt.sock"));
  const uri = `bolt://${LOOPBACK}:${proxy.port}`;
  const stop = async () => {
    await proxy.close();
    await server.stop();
  };
  try {
    await waitUntil(`FalkorDB behind ${uri}`, READY_TIMEOUT_MS, () => ping(uri), () =>
      server.running() ? undefined : "the server (or its network namespace) exited",
    );
  } catch (err) {
    const text = await readFile(log, "utf8").catch(() => "(no log)");
    await stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}\nvalkey log:\n${text.slice(-6_000)}`;
    throw new Error(message, { cause: err });
  }
  const namespacePid = Number(await readFile(join(dir, "netns.pid"), "utf8"));
  return { uri, boltPort, namespacePid, stop };
}

const GOODBYE = Buffer.from([0xb0, 0x02]);
/** The Bolt handshake: magic preamble and four proposed versions. FalkorDB answers with one version. */
const HANDSHAKE_BYTES = 20;

/**
 * Forwards Bolt connections from 127.0.0.1 to FalkorDB (through the bridge's Unix socket),
 * except GOODBYE (see the limits above).
 * Client messages are chunks (2-byte size, data) ended by an empty chunk; each whole message
 * is passed on or, when it is GOODBYE, replaced by closing the upstream connection.
 */
async function boltProxy(socketPath: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(socketPath);
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
