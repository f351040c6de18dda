// What the test servers share: loopback ports, installing missing Debian packages, running
// commands, and a tether that stops a server (and removes its data) when this process goes away.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, constants, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const LOOPBACK = "127.0.0.1";
/** 127.0.0.1 as /proc/net/tcp writes a local address (little-endian hex). */
export const LOOPBACK_HEX = "0100007F";

/**
 * A port nobody listens on, on `host`. With `below`, a random one under that limit: outside
 * Linux's ephemeral range (32768+), which is where port 0 lands.
 */
export async function freePort(options: { host?: string; below?: number } = {}): Promise<number> {
  const { host = LOOPBACK, below } = options;
  if (!below) return listenOnce(0, host);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const port = await listenOnce(candidate, host).catch(() => undefined);
    if (port) return port;
  }
  throw new Error(`no free port below ${below} on ${host}`);
}

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** A picked port was taken before the server bound it: worth another try on a new port. */
export class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** Runs `start` on a free port, again on a new one when the port was taken in between. */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
    }
  }
}

export function isPortOpen(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface TcpListener {
  table: "tcp" | "tcp6";
  /** As /proc/net/tcp and tcp6 write it: little-endian hex. */
  address: string;
  port: number;
  inode: string;
}

/**
 * Every TCP listener in a network namespace: this process's, or that of process `pid`
 * (/proc/<pid>/net shows the namespace the process is in).
 */
export async function tcpListeners(pid?: number): Promise<TcpListener[]> {
  const found: TcpListener[] = [];
  for (const table of ["tcp", "tcp6"] as const) {
    const text = await readFile(`/proc/${pid ?? "self"}/net/${table}`, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      const [address, hex] = local?.split(":") ?? [];
      // 0A is TCP_LISTEN
      if (state === "0A" && address && hex && inode) found.push({ table, address, port: parseInt(hex, 16), inode });
    }
  }
  return found;
}

/** Local addresses listening on `port`, as /proc/net/tcp and tcp6 write them (see tcpListeners). */
export async function listeningAddresses(port: number, pid?: number): Promise<{ table: "tcp" | "tcp6"; address: string }[]> {
  return (await tcpListeners(pid)).filter((l) => l.port === port).map(({ table, address }) => ({ table, address }));
}

export const isRoot = (): boolean => process.getuid?.() === 0;
export const isDebian = (): boolean => existsSync("/etc/debian_version");

/** A command's path from PATH, or from the sbin directories a non-login root shell may lack. */
export async function findCommand(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** Runs a command to completion; resolves with its output, rejects with it on failure. */
export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    const output = captureOutput(child);
    child.once("error", (err) => reject(new Error(`${command}: ${err.message}`, { cause: err })));
    child.once("close", (code, signal) =>
      code === 0
        ? resolve(output())
        : reject(new Error(`${command} ${args.join(" ")} exited ${code ?? signal}:\n${output()}`)),
    );
  });
}

/** Keeps the last 8 kB a child printed, for error messages. */
function captureOutput(child: ChildProcess): () => string {
  let text = "";
  const keep = (chunk: Buffer | string) => {
    text = (text + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => text;
}

export interface AptOptions {
  /** `-t <release>`, e.g. bookworm-backports. */
  targetRelease?: string;
  /** A `deb …` line to add under /etc/apt/sources.list.d/ first, when no source lists it. */
  source?: { file: string; line: string };
}

/**
 * Returns the path of `command`, installing `packages` with apt-get first when it is missing
 * and this is root on Debian; otherwise fails with `missing`, which says how to provide it.
 */
export async function ensureCommand(
  command: string,
  packages: string[],
  missing: string,
  apt: AptOptions = {},
): Promise<string> {
  const found = await findCommand(command);
  if (found) return found;
  if (!isRoot() || !isDebian()) throw new Error(`${command} not found: ${missing}`);
  await ensureDebianPackages(packages, apt).catch((err: Error) => {
    throw new Error(`${command} not found and installing it failed (${missing}): ${err.message}`, { cause: err });
  });
  const installed = await findCommand(command);
  if (!installed) throw new Error(`${command} still not found after apt-get install ${packages.join(" ")}: ${missing}`);
  return installed;
}

/** apt-get install, running apt-get update first only when the install fails without it. */
export async function ensureDebianPackages(packages: string[], apt: AptOptions = {}): Promise<void> {
  if (apt.source) await addAptSource(apt.source.file, apt.source.line);
  // The lock timeout lets parallel test workers queue behind one install.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  const release = apt.targetRelease ? ["-t", apt.targetRelease] : [];
  const install = () =>
    run("apt-get", [...lock, "install", "-y", "--no-install-recommends", ...release, ...packages], {
      DEBIAN_FRONTEND: "noninteractive",
    });
  try {
    await install();
  } catch {
    await run("apt-get", [...lock, "update"]);
    await install();
  }
}

/** Adds `line` as `file` unless some apt source already names its suite. */
async function addAptSource(file: string, line: string): Promise<void> {
  const suite = line.split(/\s+/)[2] ?? line;
  const dir = "/etc/apt/sources.list.d";
  const files = ["/etc/apt/sources.list", ...(await readdir(dir).catch(() => [])).map((name) => join(dir, name))];
  for (const path of files) {
    const text = await readFile(path, "utf8").catch(() => "");
    if (text.split("\n").some((l) => !l.trimStart().startsWith("#") && l.includes(suite))) return;
  }
  await writeFile(file, `${line}\n`);
}

export function makeTempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sluice-${name}-`));
}

export interface TetheredProcess {
  output(): string;
  running(): boolean;
  /** Signals the server, waits for it (SIGKILL after `graceMs`), then removes `cleanupDir`. */
  stop(graceMs?: number): Promise<void>;
}

// The server runs under a shell that holds a pipe from this process: when the pipe closes
// (stop(), or this process exiting in any way, SIGKILL included) the shell stops the server
// and removes its temp dir. Jobs started in the background read /dev/null, hence fd 3.
const TETHER = `
exec 3<&0
"$@" 3<&- &
pid=$!
( read _ <&3; kill -"$TETHER_SIGNAL" "$pid" 2>/dev/null ) &
watcher=$!
exec 3<&-
wait "$pid"; status=$?
kill "$watcher" 2>/dev/null
[ -n "$TETHER_CLEANUP" ] && rm -rf -- "$TETHER_CLEANUP"
exit "$status"
`;

/** `signal` is what stops the server cleanly (SIGTERM for most; SIGINT is PostgreSQL's fast shutdown). */
export function spawnTethered(
  command: string,
  args: string[],
  cleanupDir: string,
  signal: "TERM" | "INT" = "TERM",
): TetheredProcess {
  // Its own process group, so a stuck server can be killed together with its shell.
  const child = spawn("sh", ["-c", TETHER, "tether", command, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, TETHER_CLEANUP: cleanupDir, TETHER_SIGNAL: signal },
  });
  const output = captureOutput(child);
  let failed = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => {
      failed = true;
      resolve(null);
    });
  });
  const running = () => !failed && child.exitCode === null && child.signalCode === null;
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  return {
    output,
    running,
    async stop(graceMs = 20_000) {
      if (running()) {
        child.stdin!.end();
        const timer = setTimeout(killGroup, graceMs);
        await exited;
        clearTimeout(timer);
      }
      await rm(cleanupDir, { recursive: true, force: true });
    },
  };
}

/**
 * Calls `attempt` until it resolves. `gone` returns a reason when waiting is pointless
 * (the server process died), which ends the wait at once.
 */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<unknown>,
  gone: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    const reason = gone();
    if (reason) throw new Error(`${what}: ${reason}`);
    // An attempt that hangs (a half-started server may accept and never answer) ends at the deadline.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the attempt hung")), Math.max(deadline - Date.now(), 1));
    });
    try {
      await Promise.race([attempt(), late]);
      return;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms (last error: ${lastError})`);
}

/** A SQL server as the tests reach it. */
export interface SqlServer {
  /** scheme://user:password@host:port/database */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Stops a server the tests started (and removes its data); leaves one given by URL alone. */
  stop(): Promise<void>;
}

/** The server at the URL in the env var `name`, once `check` passes on it; undefined when unset. */
export async function sqlServerFromEnv(
  name: string,
  defaultPort: number,
  check: (server: SqlServer) => Promise<unknown>,
): Promise<SqlServer | undefined> {
  const url = process.env[name];
  if (!url) return undefined;
  const parsed = new URL(url);
  const server = {
    url,
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : defaultPort,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")),
    stop: async () => undefined,
  };
  await waitUntil(`the server at ${name}=${url}`, 10_000, () => check(server));
  return server;
}

/** Passwords for the users the servers create: fresh per run, safe in a URL unescaped. */
export const newPassword = (): string => randomBytes(12).toString("hex");
