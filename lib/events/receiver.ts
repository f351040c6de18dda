// The receiver end of a delivery: which URLs a subscription may name, and the one POST of an
// attempt, through the network guard (resolved once, checked against the policy, connected to
// the checked address only) and cut off at the timeout.
import { HostNotAllowedError } from "../net/errors.js";
import { resolveAllowed } from "../net/guard.js";
import { guardedFetch } from "../net/guardedFetch.js";
import type { RuntimeKind } from "../runtime/config.js";
import { ReceiverUrlError } from "./errors.js";

const MAX_URL_LENGTH = 2048;

/**
 * The URL a subscription delivers to, checked as a delivery will be (the network guard's policy
 * included): a ReceiverUrlError (400, field `url`) for one that cannot be.
 */
export async function checkReceiverUrl(raw: string, runtime: RuntimeKind): Promise<string> {
  if (raw.length > MAX_URL_LENGTH) throw new ReceiverUrlError(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReceiverUrlError("url must be an absolute http or https URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ReceiverUrlError(`url must be http or https, not ${url.protocol.replace(/:$/, "")}`);
  // Deployed, every event leaves over the internet: in clear it would show the payloads to anyone on the way.
  if (runtime === "aws" && url.protocol !== "https:") throw new ReceiverUrlError("url must be https on a deployed service");
  if (url.username || url.password) throw new ReceiverUrlError("url must not carry credentials; a receiver authenticates deliveries by their signature");
  if (url.hash) throw new ReceiverUrlError("url must not have a fragment (it is never sent)");
  try {
    await resolveAllowed(url.hostname);
  } catch (error) {
    if (error instanceof HostNotAllowedError) throw new ReceiverUrlError(`url: ${error.message}`);
    throw new ReceiverUrlError(`url's host ${url.hostname} does not resolve (${(error as { code?: string }).code ?? "lookup failed"})`);
  }
  return url.toString();
}

export interface ReceiverAnswer {
  status: number;
}

/** POSTs `body`; rejects when there is no answer within `timeoutMs`, on `signal`, or for a refused host. Redirects are not followed. */
export async function postToReceiver(target: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<ReceiverAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await guardedFetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "sluice-webhooks", ...headers },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    // Only the status is logged; the answer's body is read to free the socket, and dropped.
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status };
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) throw new Error(`the receiver did not answer within ${timeoutMs} ms`);
    throw error;
  }
}
