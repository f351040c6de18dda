import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNotAllowedError } from "../../../lib/net/errors.js";
import { guardedFetch } from "../../../lib/net/guardedFetch.js";
import { startDns, type TestDns } from "../../support/servers/dns.js";

let server: Server;
let port: number;
let dns: TestDns;
const seen: { method: string; host: string; body: string; type: string }[] = [];

beforeAll(async () => {
  dns = await startDns();
  dns.set("api.sluice.test", ["127.0.0.1"]);
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      seen.push({ method: request.method!, host: request.headers.host!, body, type: request.headers["content-type"] ?? "" });
      if (request.url === "/gzip") return response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync('{"zipped":true}'));
      if (request.url === "/redirect") return response.writeHead(302, { location: "http://elsewhere.example/" }).end();
      if (request.url === "/slow") return setTimeout(() => response.end("late"), 2_000);
      response.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dns.stop();
});

describe("guardedFetch", () => {
  const local = () => ({ allowPrivate: true, dnsServers: [dns.server] });

  it("answers a WHATWG Response from the checked address, the Host header still the name", async () => {
    const response = await guardedFetch(`http://api.sluice.test:${port}/items`, { headers: { accept: "application/json" } }, local());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get("set-cookie")).toContain("a=1");
    expect(seen.at(-1)).toMatchObject({ method: "GET", host: `api.sluice.test:${port}` });
  });

  it("posts a form and decodes a gzip body", async () => {
    await guardedFetch(`http://api.sluice.test:${port}/token`, { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials" }) }, local());
    expect(seen.at(-1)).toMatchObject({ method: "POST", body: "grant_type=client_credentials", type: expect.stringContaining("application/x-www-form-urlencoded") });
    const zipped = await guardedFetch(`http://api.sluice.test:${port}/gzip`, {}, local());
    expect([await zipped.json(), zipped.headers.get("content-encoding")]).toEqual([{ zipped: true }, null]);
  });

  it("does not follow redirects", async () => {
    const response = await guardedFetch(`http://api.sluice.test:${port}/redirect`, {}, local());
    expect([response.status, response.headers.get("location")]).toEqual([302, "http://elsewhere.example/"]);
  });

  it("refuses a host the policy refuses, before connecting", async () => {
    const before = seen.length;
    await expect(guardedFetch(`http://api.sluice.test:${port}/items`, {}, { allowPrivate: false, dnsServers: [dns.server] })).rejects.toBeInstanceOf(HostNotAllowedError);
    await expect(guardedFetch("http://169.254.169.254/latest/meta-data/", {}, local())).rejects.toMatchObject({ range: "cloud metadata" });
    expect(seen.length).toBe(before);
  });

  it("rejects with the signal's reason, as fetch does", async () => {
    await expect(guardedFetch(`http://api.sluice.test:${port}/slow`, { signal: AbortSignal.timeout(200) }, local())).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("rejects with the socket's error code when nothing listens", async () => {
    await expect(guardedFetch("http://127.0.0.1:1/", {}, local())).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
