// The SDK's errors: what the service answered (SluiceError, with its JSON error body), a service
// that could not be reached, and a local file that is missing before any request is sent.

/** The service's error body: `{error, message, field?, details?, request_id}`. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  details?: unknown;
  request_id?: string;
}

/** An error answer (4xx, 5xx) of the service, carrying its body's fields. */
export class SluiceError extends Error {
  readonly status: number;
  readonly error: string;
  readonly field: string | undefined;
  readonly details: unknown;
  readonly request_id: string | undefined;
  /** Seconds the service asked to wait (429's Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: ErrorBody, retryAfter?: number) {
    super(body.message);
    this.name = "SluiceError";
    this.status = status;
    this.error = body.error;
    this.field = body.field;
    this.details = body.details;
    this.request_id = body.request_id;
    this.retryAfter = retryAfter;
  }

  /** From an answer whose body may not be the service's JSON (a proxy's HTML page, nothing). */
  static from(response: Response, body: unknown): SluiceError {
    const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
    if (isErrorBody(body)) return new SluiceError(response.status, body, retryAfter);
    const text = typeof body === "string" && body.trim() ? body.trim().slice(0, 500) : response.statusText;
    return new SluiceError(response.status, { error: `http_${response.status}`, message: text || `HTTP ${response.status}` }, retryAfter);
  }
}

/** The service could not be reached (refused, reset, DNS): no answer to read. */
export class SluiceConnectionError extends Error {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super(`cannot reach the Sluice service at ${url}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "SluiceConnectionError";
    this.url = url;
  }
}

/** A local file the call needs does not exist (or is not a file); nothing was sent. */
export class SluiceFileNotFoundError extends Error {
  readonly code = "ENOENT";
  readonly path: string;
  constructor(path: string, reason = "no such file") {
    super(`${path}: ${reason}`);
    this.name = "SluiceFileNotFoundError";
    this.path = path;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === "object" && body !== null && typeof (body as ErrorBody).error === "string" && typeof (body as ErrorBody).message === "string";
}

/** Retry-After as seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
