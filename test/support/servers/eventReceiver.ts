// A receiver of event webhooks for the tests, on 127.0.0.1: it records every request, checks its
// Standard Webhooks signature with the reference library (standardwebhooks), and answers each
// path as the test says (a status, a failure, a hang until released).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  path: string;
  id: string;
  timestamp: number;
  body: string;
  verified: boolean;
  at: number;
}

/** What the receiver does with the n-th request (1-based) to a path. */
export type Behaviour = (n: number, req: IncomingMessage, res: ServerResponse) => void;

export class Receiver {
  readonly received: Received[] = [];
  readonly secrets = new Map<string, string>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly held = new Set<ServerResponse>();
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const path = req.url ?? "/";
        const secret = this.secrets.get(path);
        let verified = false;
        try {
          if (secret) verified = new Webhook(secret).verify(body, req.headers as Record<string, string>) !== undefined;
        } catch {
          verified = false;
        }
        this.received.push({ path, id: String(req.headers["webhook-id"]), timestamp: Number(req.headers["webhook-timestamp"]), body, verified, at: Date.now() });
        const n = this.received.filter((r) => r.path === path).length;
        (this.behaviours.get(path) ?? ((_n, _req, out) => out.writeHead(204).end()))(n, req, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string, behaviour: Behaviour): string {
    this.behaviours.set(path, behaviour);
    return this.url + path;
  }

  /** Never answers: the request is held until the test lets go. */
  hang(res: ServerResponse): void {
    this.held.add(res);
  }

  release(): void {
    for (const res of this.held) res.writeHead(200).end();
    this.held.clear();
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const answer = (status: number): Behaviour => (_n, _req, res) => res.writeHead(status).end(status === 204 ? undefined : "body");

export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
