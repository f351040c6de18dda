// A loopback listener carrying a driver's plaintext over TLS to an address the guard checked:
// for drivers (Neo4j's) that verify a certificate only against the host they connect to, so the
// user's name is verified here while the TCP connection goes to the checked address, unlooked-up.
import { createServer, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

export interface TlsBridge {
  /** The loopback port the driver connects to, in plaintext. */
  port: number;
  /** The last TLS failure (a certificate the name does not match, …): the driver only sees a closed socket. */
  failure(): Error | undefined;
  close(): Promise<void>;
}

/** `tls` is Node's options for the attempt (servername, ca, cert, key, rejectUnauthorized). */
export async function openTlsBridge(address: string, port: number, tls: ConnectionOptions): Promise<TlsBridge> {
  let failure: Error | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = createServer((local) => {
    const remote = tlsConnect({ ...tls, host: address, port });
    track(local);
    track(remote);
    remote.once("error", (error) => {
      failure = error;
      local.destroy();
    });
    local.once("error", () => remote.destroy());
    local.pipe(remote).pipe(local);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    failure: () => failure,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
