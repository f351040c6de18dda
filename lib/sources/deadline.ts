// A bound on a whole source operation that the driver does not bound itself (catalog discovery
// runs several queries, some drivers have no server-side statement timeout): when it passes, the
// source is closed — which ends whatever it was waiting on — and the operation fails as a timeout.
import { SourceError } from "./errors.js";

export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, onExpiry: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpiry().catch(() => undefined);
      reject(new SourceError("timeout", `${what} ran longer than ${ms / 1000} s (statement_timeout_seconds)`));
    }, ms);
  });
  work.catch(() => undefined); // settles after the deadline too, once the source is closed
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
