// A MongoDB wire-protocol test server the real `mongodb` driver talks to over TCP: in-memory
// storage, SCRAM authentication and real cursors, for integration tests without a mongod.
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { ServerState } from "./commands/types.js";
import { serveConnection } from "./connection.js";
import { CursorRegistry } from "./cursors.js";
import { scramUser } from "./scram.js";
import { Store } from "./storage.js";

export interface MongoTestServer {
  /** mongodb://user:password@127.0.0.1:port/?authSource=admin */
  uri: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** How many times each command name arrived, so tests can assert e.g. that getMore ran. */
  stats: { commands: Record<string, number> };
  /** From now on, hello answers as the primary of this replica set (its own address first in `hosts`). */
  announceReplicaSet(setName: string, members: string[]): void;
  stop(): Promise<void>;
}

export async function startMongoTestServer(opts: { user?: string; password?: string } = {}): Promise<MongoTestServer> {
  const user = opts.user ?? "sluice";
  const password = opts.password ?? "sluice-test-password";
  const stats = { commands: {} as Record<string, number> };
  const state: ServerState = {
    store: new Store(),
    cursors: new CursorRegistry(),
    users: new Map([[user, scramUser(user, password)]]),
    stats,
    startedAt: new Date(),
    openConnections: 0,
  };
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveConnection(socket, state, nextConnectionId++);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const host = "127.0.0.1";
  const { port } = server.address() as AddressInfo;
  const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return {
    uri: `mongodb://${credentials}@${host}:${port}/?authSource=admin`,
    host,
    port,
    user,
    password,
    stats,
    announceReplicaSet: (setName, members) => {
      state.replicaSet = { setName, hosts: [`${host}:${port}`, ...members] };
    },
    stop: async () => {
      // close() waits for open sockets, and driver pools keep theirs open: end them first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
