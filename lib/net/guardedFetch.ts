// `fetch` for user-given URLs (REST base URLs, OAuth token endpoints, event webhooks): the host is
// resolved and checked by the network guard, and the request made over node:http(s) to the checked
// address (Node's fetch has no way to pin one). TLS still verifies and sends SNI for the URL's name.
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { pinnedLookup, resolveAllowed } from "./guard.js";
import { networkPolicy, type NetworkPolicy } from "./policy.js";

export interface GuardedRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams | Uint8Array;
  signal?: AbortSignal;
}

const NO_BODY = new Set([101, 204, 205, 304]);

function decoded(response: http.IncomingMessage): Readable {
  switch (response.headers["content-encoding"]?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return response.pipe(zlib.createGunzip());
    case "deflate":
      return response.pipe(zlib.createInflate());
    case "br":
      return response.pipe(zlib.createBrotliDecompress());
    default:
      return response;
  }
}

function headersOf(response: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  // The body handed on is decoded: its encoded length and encoding no longer describe it.
  if (response.headers["content-encoding"]) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return headers;
}

/**
 * One request, answered as a WHATWG Response. Redirects are never followed (as with
 * `redirect: "manual"`): a caller that follows one calls again, and the new host is guarded too.
 * Rejects with HostNotAllowedError for a refused host, the signal's reason when it aborts, and
 * the socket's error (code ECONNREFUSED, ENOTFOUND, …) otherwise.
 */
export async function guardedFetch(input: string | URL, init: GuardedRequestInit = {}, policy: NetworkPolicy = networkPolicy()): Promise<Response> {
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`only http and https URLs can be fetched, not ${url.protocol}`);
  init.signal?.throwIfAborted();
  const allowed = await resolveAllowed(url.hostname, policy);
  const headers: Record<string, string> = { "accept-encoding": "gzip, deflate, br", ...init.headers };
  let body: string | Uint8Array | undefined;
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString();
    if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
  } else {
    body = init.body;
  }
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const signal = init.signal;
  const client = url.protocol === "https:" ? https : http;
  return new Promise<Response>((resolve, reject) => {
    // agent: false, so no pooled socket made by an unguarded request is ever reused.
    const request = client.request(url, { method: init.method ?? "GET", headers, agent: false, lookup: pinnedLookup(allowed) });
    const abort = () => request.destroy(signal!.reason as Error);
    signal?.addEventListener("abort", abort, { once: true });
    const done = () => signal?.removeEventListener("abort", abort);
    request.on("error", (error) => {
      done();
      reject(signal?.aborted ? signal.reason : error);
    });
    request.on("response", (response) => {
      const stream = decoded(response);
      // An abort while the body is read fails the read with the signal's reason, as fetch does.
      const abortBody = () => stream.destroy(signal!.reason as Error);
      signal?.removeEventListener("abort", abort);
      signal?.addEventListener("abort", abortBody, { once: true });
      stream.on("close", () => signal?.removeEventListener("abort", abortBody));
      const status = response.statusCode ?? 502;
      const empty = NO_BODY.has(status) || init.method === "HEAD";
      if (empty) response.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>), { status, statusText: response.statusMessage ?? "", headers: headersOf(response) }));
    });
    request.end(body);
  });
}
