// An SSH tunnel for one operation (a pull, test or metadata sync): an ssh2 connection to the
// bastion and a listener on 127.0.0.1 whose every connection is forwarded (direct-tcpip) to the
// database host, which the bastion resolves. Closed with the source that opened it.
import { createHash } from "node:crypto";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Client, ConnectConfig } from "ssh2";
import { resolveAllowed } from "../net/guard.js";
import { classifyNetworkError, hostRefusalIn, SourceError } from "./errors.js";

/** connection_config.ssh_tunnel. */
export interface SshTunnelConfig {
  host: string;
  port?: number;
  username: string;
  private_key?: string;
  passphrase?: string;
  password?: string;
  /** The bastion's public host key (`ssh-ed25519 AAAA…`) or its `SHA256:` fingerprint; any key is accepted without it. */
  known_host_key?: string;
}

export interface SshTunnel {
  /** Where the driver connects: 127.0.0.1 and this port. */
  localPort: number;
  /** The bastion's failure to open a forward (it cannot reach the database), once one happened. */
  forwardFailure(): SourceError | undefined;
  close(): Promise<void>;
}

/** Whether the key the server presented (its wire-format blob) is the one the connector pins. */
export function hostKeyMatches(known: string, presented: Buffer): boolean {
  const text = known.trim();
  if (/^SHA256:/i.test(text)) {
    const fingerprint = createHash("sha256").update(presented).digest("base64").replace(/=+$/, "");
    return fingerprint === text.slice("SHA256:".length).replace(/=+$/, "");
  }
  // `type base64 [comment]`, or a known_hosts line with the host names first.
  const fields = text.split(/\s+/);
  const at = fields.findIndex((field) => /^(ssh-|ecdsa-|sk-)/.test(field));
  const blob = at >= 0 ? fields[at + 1] : undefined;
  return blob !== undefined && Buffer.from(blob, "base64").equals(presented);
}

function sshError(error: unknown, where: string, mismatch: boolean): SourceError {
  if (error instanceof SourceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const level = (error as { level?: unknown })?.level;
  if (hostRefusalIn(error)) return new SourceError("host_not_allowed", message, undefined, { cause: hostRefusalIn(error) });
  if (mismatch) {
    return new SourceError("ssh_host_key_mismatch", `the SSH server ${where} presented a host key other than ssh_tunnel.known_host_key; it may not be the server you meant`, undefined, { cause: error });
  }
  if (level === "client-authentication" || /Cannot parse privateKey|encrypted private (OpenSSH )?key/i.test(message)) {
    return new SourceError("ssh_authentication_failed", `the SSH server ${where} refused the tunnel's credentials (ssh_tunnel.private_key or password): ${message}`, undefined, { cause: error });
  }
  const network = classifyNetworkError(error);
  if (level === "client-timeout" || network === "timeout") return new SourceError("timeout", `the SSH server ${where} did not complete its handshake in time: ${message}`, undefined, { cause: error });
  if (network === "dns_not_found") return new SourceError("dns_not_found", `the SSH server's host ${where} does not resolve: ${message}`, undefined, { cause: error });
  return new SourceError("ssh_connection_refused", `cannot open an SSH connection to ${where}: ${message}`, (error as { code?: string })?.code, { cause: error });
}

async function connectSsh(config: ConnectConfig): Promise<Client> {
  // Loaded on first use, as the drivers are: only tunnelled connectors pay for it.
  const { Client: SshClient } = await import("ssh2");
  return new Promise((resolve, reject) => {
    const client = new SshClient();
    const fail = (error: Error) => {
      client.end();
      reject(error);
    };
    client.once("error", fail);
    client.once("ready", () => {
      client.removeListener("error", fail);
      // A later failure (the bastion going away) reaches the driver as a closed connection.
      client.on("error", () => undefined);
      resolve(client);
    });
    client.connect(config);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Opens the tunnel to `target` through `config`'s SSH server. The guard checks the SSH host (the
 * database host is the bastion's to resolve). Throws a SourceError: ssh_authentication_failed,
 * ssh_connection_refused, ssh_host_key_mismatch, host_not_allowed, dns_not_found or timeout.
 */
export async function openSshTunnel(config: SshTunnelConfig, target: { host: string; port: number }, timeoutMs: number): Promise<SshTunnel> {
  const port = config.port ?? 22;
  const where = `${config.host}:${port}`;
  let mismatch = false;
  let client: Client;
  try {
    const allowed = await resolveAllowed(config.host);
    client = await connectSsh({
      host: allowed.address,
      port,
      username: config.username,
      ...(config.private_key ? { privateKey: config.private_key } : {}),
      ...(config.passphrase ? { passphrase: config.passphrase } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
      readyTimeout: timeoutMs,
      // No agent, no keyboard-interactive prompt: only what the connector holds.
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        if (config.known_host_key === undefined || hostKeyMatches(config.known_host_key, key)) return true;
        mismatch = true;
        return false;
      },
    });
  } catch (error) {
    throw sshError(error, where, mismatch);
  }
  let failure: SourceError | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    client.forwardOut("127.0.0.1", 0, target.host, target.port, (error, stream) => {
      if (error) {
        failure ??= new SourceError("ssh_connection_refused", `the SSH server ${where} could not reach ${target.host}:${target.port}: ${error.message}`, undefined, { cause: error });
        socket.destroy();
        return;
      }
      socket.pipe(stream).pipe(socket);
      stream.on("error", () => socket.destroy());
      socket.on("close", () => stream.close());
    });
  });
  let localPort: number;
  try {
    localPort = await listen(server);
  } catch (error) {
    client.end();
    throw error;
  }
  return {
    localPort,
    forwardFailure: () => failure,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.end();
    },
  };
}
