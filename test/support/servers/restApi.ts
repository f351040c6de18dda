// An HTTP API written for the REST source's tests (node:http on 127.0.0.1): one product list
// served in each pagination style, under a prefix per auth type (/open, /bearer, /basic, /key),
// with faults a test queues per path (a status with its headers, a delay, an HTML body) and a
// log of every request it was sent.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "./net.js";

export interface Product {
  id: number;
  name: string;
  sku: string;
  price: number;
  updated_at: string;
  properties: { name: string; category: string };
}

/** `pass` lets one request through untouched, so a fault can hit a later page of the same path. */
export type Fault = { status: number; headers?: Record<string, string>; body?: string } | { delayMs: number } | { html: true } | { pass: true };

export interface LoggedRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  at: number;
}

export interface RestApiCredentials {
  bearer: string;
  username: string;
  password: string;
  apiKeyHeader: string;
  apiKey: string;
}

export interface RestApiServer {
  url: string;
  port: number;
  products: Map<number, Product>;
  requests: LoggedRequest[];
  /** Requests to `path` (without the auth prefix), in order. */
  requestsTo(path: string): LoggedRequest[];
  /** The next requests to `path` (the full path, prefix included) meet these faults, one each. */
  fault(path: string, ...faults: Fault[]): void;
  seed(count: number, ageSeconds: number): void;
  touch(id: number, name: string): void;
  stop(): Promise<void>;
}

const PAGE = 10;

function product(id: number, updatedAt: Date): Product {
  const name = `Product ${id}`;
  return { id, name, sku: `SKU-${String(id).padStart(4, "0")}`, price: id * 1.25, updated_at: updatedAt.toISOString(), properties: { name, category: id % 2 ? "odd" : "even" } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Whether the request carries the prefix's credentials; the 401 echoes what it got, as careless APIs do. */
function authorized(prefix: string, req: IncomingMessage, creds: RestApiCredentials): { ok: true } | { ok: false; echo: string } {
  const header = req.headers.authorization ?? "";
  switch (prefix) {
    case "open":
      return { ok: true };
    case "bearer":
      return header === `Bearer ${creds.bearer}` ? { ok: true } : { ok: false, echo: header };
    case "basic": {
      const decoded = Buffer.from(header.replace(/^Basic /, ""), "base64").toString("utf8");
      return decoded === `${creds.username}:${creds.password}` ? { ok: true } : { ok: false, echo: decoded };
    }
    case "key": {
      const value = req.headers[creds.apiKeyHeader.toLowerCase()];
      return value === creds.apiKey ? { ok: true } : { ok: false, echo: String(value) };
    }
    default:
      return { ok: false, echo: "" };
  }
}

export async function startRestApiServer(creds: RestApiCredentials): Promise<RestApiServer> {
  const products = new Map<number, Product>();
  const requests: LoggedRequest[] = [];
  const faults = new Map<string, Fault[]>();
  let base = "";

  /** The products the filters select, by id: updated_since (ISO) and since_epoch (seconds). */
  const selected = (query: URLSearchParams): Product[] => {
    const since = query.get("updated_since");
    const epoch = query.get("since_epoch");
    const after = since !== null ? Date.parse(since) : epoch !== null ? Number(epoch) * 1000 : -Infinity;
    if (Number.isNaN(after)) throw new Error(`bad watermark ${since ?? epoch}`);
    return [...products.values()].filter((p) => Date.parse(p.updated_at) > after).sort((a, b) => a.id - b.id);
  };

  const routes: Record<string, (query: URLSearchParams, self: URL) => { body: unknown; headers?: Record<string, string> }> = {
    "/single/items": (q) => ({ body: { data: selected(q) } }),
    "/json_link/items": (q, self) => {
      const all = selected(q);
      const page = Number(q.get("p") ?? 0);
      const next = new URL(self);
      next.searchParams.set("p", String(page + 1));
      const more = (page + 1) * PAGE < all.length;
      return { body: { data: all.slice(page * PAGE, (page + 1) * PAGE), links: { next: more ? `${next.pathname}${next.search}` : null } } };
    },
    "/header_link/items": (q, self) => {
      const all = selected(q);
      const page = Number(q.get("page") ?? 1);
      const at = (n: number) => {
        const url = new URL(self);
        url.searchParams.set("page", String(n));
        return url.href;
      };
      const last = Math.max(1, Math.ceil(all.length / PAGE));
      const links = [`<${at(1)}>; rel="first"`, `<${at(last)}>; title="last, page"; rel="last"`];
      if (page < last) links.push(`<${at(page + 1)}>; rel="next"`);
      return { body: all.slice((page - 1) * PAGE, page * PAGE), headers: { link: links.join(", ") } };
    },
    "/cursor/items": (q) => {
      const all = selected(q);
      const from = q.get("cursor") ? Number(Buffer.from(q.get("cursor")!, "base64url").toString()) : 0;
      const next = from + PAGE < all.length ? Buffer.from(String(from + PAGE)).toString("base64url") : null;
      return { body: { items: all.slice(from, from + PAGE), cursors: { next } } };
    },
    "/stripe/customers": (q) => {
      const all = selected(q);
      const limit = Number(q.get("limit") ?? 10);
      const after = q.get("starting_after");
      const from = after === null ? 0 : all.findIndex((p) => String(p.id) === after) + 1;
      return { body: { object: "list", url: "/v1/customers", data: all.slice(from, from + limit), has_more: from + limit < all.length } };
    },
    "/hubspot/contacts": (q) => {
      const all = selected(q);
      const limit = Number(q.get("limit") ?? 10);
      const from = Number(q.get("after") ?? 0);
      const rows = all.slice(from, from + limit).map(({ id, properties, updated_at }) => ({ id: String(id), properties, updatedAt: updated_at }));
      return { body: { results: rows, ...(from + limit < all.length ? { paging: { next: { after: String(from + limit), link: "…" } } } : {}) } };
    },
    "/offset/items": (q) => {
      const all = selected(q);
      const offset = Number(q.get("offset") ?? 0);
      const limit = Number(q.get("limit") ?? PAGE);
      return { body: { meta: { total: all.length }, records: all.slice(offset, offset + limit) } };
    },
    "/page/items": (q) => {
      const all = selected(q);
      const page = Number(q.get("page") ?? 1);
      const size = Number(q.get("per_page") ?? PAGE);
      return { body: { page, total_pages: Math.ceil(all.length / size), items: all.slice((page - 1) * size, page * size) } };
    },
    "/health": () => ({ body: { ok: true } }),
  };

  const server = createServer((req, res) => {
    const self = new URL(req.url ?? "/", base);
    const [, prefix = "", ...rest] = self.pathname.split("/");
    const path = `/${rest.join("/")}`;
    requests.push({ path: self.pathname, query: self.searchParams, authorization: req.headers.authorization, at: Date.now() });
    const auth = authorized(prefix, req, creds);
    if (!auth.ok) return send(res, 401, { message: `invalid credentials: ${auth.echo}` });
    const fault = faults.get(self.pathname)?.shift();
    const answer = () => {
      if (path === "/slow") return setTimeout(() => send(res, 200, { ok: true }), Number(self.searchParams.get("ms") ?? 5000));
      const route = routes[path];
      if (!route) return send(res, 404, { error: { message: `no route ${path}` } });
      const { body, headers } = route(self.searchParams, self);
      send(res, 200, body, headers);
    };
    if (!fault || "pass" in fault) return answer();
    if ("delayMs" in fault) return setTimeout(answer, fault.delayMs);
    if ("html" in fault) {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end("<html><body>Sign in to continue</body></html>");
    }
    res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
    res.end(fault.body ?? JSON.stringify({ message: `fault ${fault.status}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${LOOPBACK}:${port}`;

  return {
    url: base,
    port,
    products,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path.replace(/^\/[^/]+/, "") === path),
    fault: (path, ...more) => faults.set(path, [...(faults.get(path) ?? []), ...more]),
    seed(count, ageSeconds) {
      const at = new Date(Date.now() - ageSeconds * 1000);
      for (let id = 1; id <= count; id++) products.set(id, product(id, at));
    },
    touch(id, name) {
      const changed = product(id, new Date());
      products.set(id, { ...changed, name, properties: { ...changed.properties, name } });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
