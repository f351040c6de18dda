import { describe, expect, it } from "vitest";
import { SourceError } from "../../../lib/sources/errors.js";
import { connectWithTls, tlsAttempts, type TlsAttempt } from "../../../lib/sources/tls.js";

describe("tlsAttempts (libpq ssl_mode)", () => {
  it.each([
    ["disable", ["off"]],
    ["allow", ["off", "unverified"]],
    ["prefer", ["unverified", "off"]],
    ["require", ["unverified"]],
    ["verify-ca", ["verify-ca"]],
    ["verify-full", ["verify-full"]],
    [undefined, ["driver-default"]],
  ])("%s → %j", (mode, attempts) => {
    expect(tlsAttempts(mode)).toEqual(attempts);
  });
});

describe("connectWithTls", () => {
  const classify = (error: unknown) => error as SourceError;

  it("falls back only on a TLS failure", async () => {
    const tried: TlsAttempt[] = [];
    const connected = await connectWithTls("prefer", async (tls) => {
      tried.push(tls);
      if (tls === "unverified") throw new SourceError("ssl_error", "The server does not support SSL connections");
      return "connection";
    }, classify);
    expect([connected, tried]).toEqual(["connection", ["unverified", "off"]]);
  });

  it("stops at the first failure that is not about TLS, and throws the last TLS failure when all fail", async () => {
    const tried: TlsAttempt[] = [];
    await expect(
      connectWithTls("allow", async (tls) => {
        tried.push(tls);
        throw new SourceError("authentication_failed", "password authentication failed");
      }, classify),
    ).rejects.toMatchObject({ type: "authentication_failed" });
    expect(tried).toEqual(["off"]);
    await expect(
      connectWithTls("require", async () => {
        throw new SourceError("ssl_error", "no TLS");
      }, classify),
    ).rejects.toMatchObject({ type: "ssl_error" });
  });
});
