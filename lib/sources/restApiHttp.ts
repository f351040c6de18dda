// The REST source's HTTP client, on Node's fetch: auth headers (or OAuth bearer tokens from a
// TokenSource, renewed once on a 401), a timeout per request, redirects followed only within
// base_url's origin (credentials never go to another host), 429/503 waiting out Retry-After,
// other 5xx and network failures retried with backoff, and every failure typed and scrubbed of
// the connector's secrets before it leaves.
import { Buffer } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import { scrubSecrets, secretValues } from "../connectors/redaction.js";
import { DEFAULT_API_KEY_HEADER, DEFAULT_TIMEOUT_SECONDS, type RestApiConfig } from "../connectors/restApiSchema.js";
import { guardedFetch } from "../net/guardedFetch.js";
import { classifyNetworkError, SourceError } from "./errors.js";
import type { TokenSource } from "./restApiAuth.js";

export interface RetryPolicy {
  /** Tries of one request, the first included. */
  attempts: number;
  /** Backoff before the second try; doubles with each further one, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest a Retry-After is waited out. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** A page is parsed whole, so its size bounds the memory one page takes. */
export const MAX_PAGE_BYTES = 32 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const SNIPPET = 200;
/** Socket failures worth another try (besides a refused connection). */
const TRANSIENT_CODES = /^(ECONNRESET|EPIPE|ECONNABORTED|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED)$/;

export interface JsonPage {
  url: URL;
  status: number;
  headers: Headers;
  body: unknown;
}

/** Milliseconds a Retry-After header asks for (delay-seconds or an HTTP date), if it says. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The message an API put in an error body, by the common shapes; else the body's start. */
function apiMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim().slice(0, SNIPPET);
  }
  const field = (value: unknown, key: string | number): unknown => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined);
  const errors = field(body, "errors");
  const candidates = [
    field(body, "message"), field(field(body, "error"), "message"), field(body, "error_description"), field(body, "error"),
    field(body, "detail"), field(body, "title"), field(field(errors, 0), "message"), field(errors, 0),
  ];
  const found = candidates.find((c): c is string => typeof c === "string" && c.trim() !== "");
  return (found ?? text.trim()).slice(0, SNIPPET * 2);
}

const where = (url: URL) => `GET ${url.pathname}`;

export class RestApiClient {
  readonly origin: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly timeoutMs: number;

  constructor(
    private readonly config: RestApiConfig,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    /** auth_type oauth2: where each request's bearer token comes from. */
    private readonly tokens?: TokenSource,
  ) {
    this.origin = new URL(config.base_url).origin;
    this.timeoutMs = (config.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    this.headers = { accept: "application/json", "user-agent": "sluice", ...config.headers };
    this.secrets = secretValues(config);
    const auth = config.auth_type ?? "none";
    if (auth === "bearer") this.headers.authorization = `Bearer ${config.auth_token}`;
    if (auth === "api_key") this.headers[config.api_key_header ?? DEFAULT_API_KEY_HEADER] = config.api_key_value ?? "";
    if (auth === "basic") {
      const basic = Buffer.from(`${config.username}:${config.password ?? ""}`).toString("base64");
      this.headers.authorization = `Basic ${basic}`;
      this.secrets.push(basic);
    }
  }

  /** base_url joined with `path` (dlt's rule: one slash between them), then the params. */
  url(path: string, params: [string, string][] = []): URL {
    const url = new URL(`${this.config.base_url.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`);
    for (const [name, value] of params) url.searchParams.append(name, value);
    return url;
  }

  private fail(type: SourceError["type"], message: string, code?: string, cause?: unknown): SourceError {
    return new SourceError(type, scrubSecrets(message, [...this.secrets, ...(this.tokens?.secrets() ?? [])]), code, { cause });
  }

  /** A thrown fetch or body-read failure, typed; the caller's own abort passes through as is. */
  private networkError(error: unknown, url: URL, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted || error instanceof SourceError) return error;
    if ((error as Error)?.name === "TimeoutError") {
      return this.fail("timeout", `no complete answer to ${where(url)} within ${this.timeoutMs / 1000} s (timeout_seconds)`, undefined, error);
    }
    const cause = (error as { cause?: unknown })?.cause ?? error;
    const inner = cause instanceof AggregateError ? (cause.errors[0] ?? cause) : cause;
    const code = (inner as { code?: unknown })?.code ?? (cause as { code?: unknown })?.code;
    // A connection dropped mid-answer has no type of its own: a query_error with the socket's code.
    const type = classifyNetworkError(inner) ?? classifyNetworkError(cause) ?? "query_error";
    const reason = ((inner as Error)?.message ?? String(inner)).trim();
    return this.fail(type, `cannot reach ${url.host} for ${where(url)}: ${reason}`, typeof code === "string" ? code : undefined, error);
  }

  /**
   * One request and its redirects within the origin; the response body is left unread. With a
   * token source, a 401 is asked again once with a new token (it may have been revoked early).
   */
  private async send(url: URL, signal: AbortSignal): Promise<{ response: Response; url: URL }> {
    let current = url;
    let renewed = false;
    for (let hop = 0; ; ) {
      const token = await this.tokens?.token(signal);
      const headers = token === undefined ? this.headers : { ...this.headers, authorization: `Bearer ${token}` };
      // Each hop's host is resolved and checked by the network guard, and connected to as checked.
      const response = await guardedFetch(current, { method: "GET", headers, signal });
      if (response.status === 401 && token !== undefined && !renewed) {
        await response.body?.cancel().catch(() => undefined);
        this.tokens!.refused(token);
        renewed = true;
        continue;
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null) return { response, url: current };
      await response.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (next.origin !== this.origin) {
        throw this.fail("http_error", `${where(current)} redirected to another host (${next.host}); it is not followed, so the credentials stay with ${new URL(this.origin).host}`, String(response.status));
      }
      if (hop++ >= MAX_REDIRECTS) throw this.fail("http_error", `${where(url)} redirected more than ${MAX_REDIRECTS} times`, String(response.status));
      current = next;
    }
  }

  private async text(response: Response, url: URL): Promise<string> {
    const declared = Number(response.headers.get("content-length"));
    if (declared > MAX_PAGE_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw this.fail("query_error", `the response to ${where(url)} is ${declared} bytes, more than a page may be (${MAX_PAGE_BYTES}); ask for smaller pages`);
    }
    if (!response.body) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_PAGE_BYTES) throw this.fail("query_error", `the response to ${where(url)} is more than a page may be (${MAX_PAGE_BYTES} bytes); ask for smaller pages`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  private async statusError(response: Response, url: URL, tries: number): Promise<SourceError> {
    const text = await this.text(response, url).catch(() => "");
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    const after = tries > 1 ? ` (after ${tries} tries)` : "";
    const message = `the API answered ${status} to ${where(url)}${after}${text ? `: ${apiMessage(text)}` : ""}`;
    const type = response.status === 401 || response.status === 403 ? "authentication_failed" : "http_error";
    return this.fail(type, message, String(response.status));
  }

  private signalFor(outer: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, timeout]) : timeout;
  }

  /** One request, no retries, body discarded: what a connection test does. */
  async probe(url: URL): Promise<{ status: number; headers: Headers }> {
    const signal = this.signalFor(undefined);
    try {
      const { response, url: answered } = await this.send(url, signal);
      if (!response.ok) throw await this.statusError(response, answered, 1);
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status, headers: response.headers };
    } catch (error) {
      throw this.networkError(error, url, undefined);
    }
  }

  /** A GET whose answer must be JSON, retried as the policy says; `outer` aborts it (the read closed). */
  async getJson(url: URL, outer?: AbortSignal): Promise<JsonPage> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.retry.attempts;
      const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      let wait: number | undefined;
      try {
        const signal = this.signalFor(outer);
        const { response, url: answered } = await this.send(url, signal);
        if (response.ok) return { url, status: response.status, headers: response.headers, body: this.parse(await this.text(response, answered), response, answered) };
        const status = response.status;
        if (last || (status < 500 && status !== 429)) throw await this.statusError(response, answered, attempt);
        await response.body?.cancel().catch(() => undefined);
        const asked = status === 429 || status === 503 ? retryAfterMs(response.headers.get("retry-after")) : undefined;
        wait = asked === undefined ? backoff : Math.min(asked, this.retry.maxRetryAfterMs);
      } catch (error) {
        const typed = this.networkError(error, url, outer);
        // A refused or dropped connection may come back; a name that does not resolve, a TLS
        // mismatch, a timeout (the pull retries those whole) or an HTTP answer would not.
        const transient = typed instanceof SourceError && (typed.type === "connection_refused" || TRANSIENT_CODES.test(typed.code ?? ""));
        if (last || !transient) throw typed;
        wait = backoff / 2 + Math.random() * (backoff / 2);
      }
      await sleep(wait, undefined, { signal: outer });
    }
  }

  private parse(text: string, response: Response, url: URL): unknown {
    try {
      if (text.trim() === "") throw new SyntaxError("the body is empty");
      return JSON.parse(text);
    } catch (error) {
      const type = response.headers.get("content-type") ?? "no content type";
      const start = text.trim().slice(0, SNIPPET / 2).replace(/\s+/g, " ");
      const shown = start ? `; it starts ${JSON.stringify(start)}` : "";
      throw this.fail("query_error", `the response to ${where(url)} is not JSON (${type}, status ${response.status}: ${(error as Error).message})${shown}`);
    }
  }
}
