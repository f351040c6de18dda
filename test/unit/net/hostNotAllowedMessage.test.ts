// A refusal's message names the host the user gave and the kind of range, never the address a
// name resolved to (that would show the tenant internal DNS answers).
import { describe, expect, it } from "vitest";
import { HostNotAllowedError } from "../../../lib/net/errors.js";
import { resolveAllowed } from "../../../lib/net/guard.js";

const aws = { allowPrivate: false };

describe("HostNotAllowedError's message", () => {
  it("keeps a resolved address out of the message, and on the error for logs", async () => {
    const error = (await resolveAllowed("localhost", aws).then(() => undefined, (e: unknown) => e)) as HostNotAllowedError;
    expect(error).toBeInstanceOf(HostNotAllowedError);
    expect(error.message).toBe("the host localhost resolves to a loopback address, which this service does not connect to; private and loopback addresses are allowed only with ALLOW_PRIVATE_NETWORKS=true");
    expect(error.message).not.toContain("127.0.0.1");
    expect(error.address).toBe("127.0.0.1");
  });

  it("shows an address the user gave", async () => {
    await expect(resolveAllowed("169.254.169.254", { allowPrivate: true })).rejects.toThrow("the host 169.254.169.254 is a cloud metadata address, which this service does not connect to");
  });
});
