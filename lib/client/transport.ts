// The HTTP layer under every SDK call: openapi-fetch over a fetch that authenticates, retries
// idempotent calls on 429 and 5xx with backoff (Retry-After first), and turns failures into
// SluiceError / SluiceConnectionError.
import createClient, { type Client } from "openapi-fetch";
import { SluiceConnectionError, SluiceError, retryAfterSeconds } from "./errors.js";
import type { paths } from "./paths.js";

export interface RetryOptions {
  /** Retries after the first try (default 3; 0 turns retrying off). */
  retries?: number;
  /** The first backoff (default 250 ms), doubled each time, with jitter. */
  baseDelayMs?: number;
  /** The longest wait between tries, Retry-After included (default 10 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** The service root, e.g. http://127.0.0.1:3000 (the API lives under /api/v1). */
  baseUrl: string;
  apiKey: string;
  retry?: RetryOptions;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export type ApiClient = Client<paths>;

/** Methods whose repetition has the effect of one call: safe to send again after a 429 or 5xx. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

function shouldRetry(status: number): boolean {
  return status === 429 || status >= 500;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, or the service's Retry-After when it sent one. */
export function backoffMs(attempt: number, retry: Required<RetryOptions>, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(retry.maxDelayMs, retryAfter * 1000);
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function retryingFetch(options: Pick<TransportOptions, "fetch" | "retry" | "baseUrl">): typeof fetch {
  const send = options.fetch ?? globalThis.fetch;
  const retry: Required<RetryOptions> = { retries: 3, baseDelayMs: 250, maxDelayMs: 10_000, ...options.retry };
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const idempotent = IDEMPOTENT.has(request.method);
    for (let attempt = 0; ; attempt++) {
      const last = !idempotent || attempt >= retry.retries;
      let response: Response;
      try {
        response = await send(last ? request : request.clone());
      } catch (error) {
        if (last) throw new SluiceConnectionError(options.baseUrl, (error as Error).cause ?? error);
        await sleep(backoffMs(attempt, retry));
        continue;
      }
      if (last || !shouldRetry(response.status)) return response;
      await response.body?.cancel();
      await sleep(backoffMs(attempt, retry, retryAfterSeconds(response.headers.get("retry-after"))));
    }
  };
}

export function createApiClient(options: TransportOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`baseUrl must be the service root, http(s)://host[:port], got ${JSON.stringify(options.baseUrl)}`);
  if (!options.apiKey) throw new TypeError("apiKey is required (an API key such as sk_local_…)");
  return createClient<paths>({
    baseUrl,
    fetch: retryingFetch({ ...options, baseUrl }),
    headers: { ...options.headers, authorization: `Bearer ${options.apiKey}` },
  });
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or the SluiceError the service answered. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw SluiceError.from(response, error);
  return data as T;
}
