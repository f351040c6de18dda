// An OpenSSH server for the tunnel tests: Debian's sshd (openssh-server, installed when missing)
// on 127.0.0.1:<free port> with a host key and config made here, key authentication only, for
// a non-root account (created when this process is root) whose one authorized key is made here.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { ensureCommand, isPortOpen, isRoot, LOOPBACK, makeTempDir, onFreePort, PortTakenError, run, spawnTethered, waitUntil } from "./net.js";

export interface SshServer {
  host: string;
  port: number;
  username: string;
  /** The authorized client key (OpenSSH format). */
  privateKey: string;
  /** The server's public host key, as `known_host_key` takes it: `ssh-ed25519 AAAA…`. */
  hostKey: string;
  /** What sshd logged (-e): logins, forwards, disconnections. */
  output(): string;
  /** A key pair sshd knows nothing of: its private key and its public key. */
  strangerKey(): Promise<{ privateKey: string; publicKey: string }>;
  stop(): Promise<void>;
}

const MISSING = "install openssh-server (apt-get install openssh-server)";
const TUNNEL_USER = "sluicetunnel";
const READY_TIMEOUT_MS = 30_000;

async function keyPair(keygen: string, file: string, comment: string): Promise<{ privateKey: string; publicKey: string }> {
  await run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  return { privateKey: await readFile(file, "utf8"), publicKey: (await readFile(`${file}.pub`, "utf8")).trim() };
}

/** The account the tunnel logs in as: a system user with no password and no shell, when root; else this one. */
async function tunnelUser(): Promise<string> {
  if (!isRoot()) return userInfo().username;
  // '*' (no password) rather than useradd's '!', which sshd reads as a locked account. Exit 9: it exists.
  await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--password", "*", TUNNEL_USER]).catch((err: Error) => {
    if (!/exited 9/.test(err.message)) throw err;
  });
  return TUNNEL_USER;
}

export async function startSshd(): Promise<SshServer> {
  const sshd = await ensureCommand("sshd", ["openssh-server"], MISSING);
  const keygen = await ensureCommand("ssh-keygen", ["openssh-client"], MISSING);
  const username = await tunnelUser();
  // sshd's privilege-separation directory, which the packaged service would create.
  if (isRoot()) await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  return onFreePort((port) => launch(sshd, keygen, username, port));
}

async function launch(sshd: string, keygen: string, username: string, port: number): Promise<SshServer> {
  const dir = await makeTempDir("sshd");
  // sshd reads authorized_keys as the tunnel's user.
  await chmod(dir, 0o755);
  const hostKey = await keyPair(keygen, join(dir, "host_ed25519"), "sluice-test-host");
  const client = await keyPair(keygen, join(dir, "client_ed25519"), "sluice-test-client");
  await writeFile(join(dir, "authorized_keys"), `${client.publicKey}\n`, { mode: 0o644 });
  const config = join(dir, "sshd_config");
  await writeFile(config, [
    `Port ${port}`,
    `ListenAddress ${LOOPBACK}`,
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    `AllowUsers ${username}`,
    "AllowTcpForwarding yes",
    "PermitTTY no",
    "X11Forwarding no",
    "PermitRootLogin no",
    "LogLevel VERBOSE",
    "",
  ].join("\n"));
  const server = spawnTethered(sshd, ["-D", "-e", "-f", config], dir);
  try {
    await waitUntil(`sshd on ${LOOPBACK}:${port}`, READY_TIMEOUT_MS, async () => {
      if (!(await isPortOpen(port))) throw new Error("not listening yet");
    }, () => (server.running() ? undefined : "sshd exited"));
  } catch (err) {
    await server.stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}`;
    if (/Address already in use/.test(message)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  let strangers = 0;
  return {
    host: LOOPBACK,
    port,
    username,
    privateKey: client.privateKey,
    hostKey: hostKey.publicKey,
    output: () => server.output(),
    strangerKey: () => keyPair(keygen, join(dir, `stranger_${++strangers}`), "sluice-test-stranger"),
    stop: () => server.stop(),
  };
}
