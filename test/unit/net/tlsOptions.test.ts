import { describe, expect, it } from "vitest";
import { effectiveSslMode, nodeTlsOptions, tlsMaterial } from "../../../lib/sources/tls.js";

describe("ssl_mode with PEM material", () => {
  const material = { ca: "CA", cert: "CERT", key: "KEY" };

  it("implies verify-full from ssl_ca and require from a client certificate alone; ssl_mode and a DSN's sslmode win", () => {
    expect(effectiveSslMode({ ssl_ca: "CA" })).toBe("verify-full");
    expect(effectiveSslMode({ ssl_cert: "C", ssl_key: "K" })).toBe("require");
    expect(effectiveSslMode({ ssl_ca: "CA", ssl_mode: "verify-ca" })).toBe("verify-ca");
    expect(effectiveSslMode({ ssl_ca: "CA" }, "disable")).toBe("disable");
    expect(effectiveSslMode({})).toBeUndefined();
  });

  it("takes only non-empty PEM text", () => {
    expect(tlsMaterial({ ssl_ca: "  ", ssl_cert: "C", ssl_key: 3 })).toEqual({ cert: "C" });
  });

  it("maps each attempt to Node's options, naming the user's host for SNI and verify-full", () => {
    expect(nodeTlsOptions("off", material, "db.example.com")).toBe(false);
    expect(nodeTlsOptions("driver-default", material, "db.example.com")).toBeUndefined();
    expect(nodeTlsOptions("unverified", material, "db.example.com")).toEqual({ rejectUnauthorized: false, cert: "CERT", key: "KEY", servername: "db.example.com" });
    expect(nodeTlsOptions("verify-full", material, "db.example.com")).toEqual({ rejectUnauthorized: true, ca: "CA", cert: "CERT", key: "KEY", servername: "db.example.com" });
    const verifyCa = nodeTlsOptions("verify-ca", material, "db.example.com") as { checkServerIdentity: () => unknown };
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: "CA", servername: "db.example.com" });
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
    // An IP the user gave is checked as the host (SNI never carries an IP).
    expect(nodeTlsOptions("verify-full", {}, "10.0.0.5")).toEqual({ rejectUnauthorized: true, host: "10.0.0.5" });
  });
});
