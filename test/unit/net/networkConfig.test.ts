import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../lib/errors.js";
import { loadConfig } from "../../../lib/runtime/config.js";

describe("ALLOW_PRIVATE_NETWORKS and DNS_SERVERS", () => {
  const aws = { CONNECTOR_ENCRYPTION_KEY: "k" };

  it("allows private networks locally and refuses them on AWS unless told otherwise", () => {
    expect(loadConfig("local", {}).allowPrivateNetworks).toBe(true);
    expect(loadConfig("local", { ALLOW_PRIVATE_NETWORKS: "false" }).allowPrivateNetworks).toBe(false);
    expect(loadConfig("aws", aws).allowPrivateNetworks).toBe(false);
    expect(loadConfig("aws", { ...aws, ALLOW_PRIVATE_NETWORKS: "true" }).allowPrivateNetworks).toBe(true);
    expect(() => loadConfig("local", { ALLOW_PRIVATE_NETWORKS: "maybe" })).toThrow(ConfigurationError);
  });

  it("reads DNS servers as ip[:port], comma-separated", () => {
    expect(loadConfig("local", {}).dnsServers).toBeUndefined();
    expect(loadConfig("local", { DNS_SERVERS: "127.0.0.1:5353, [::1]:53,10.0.0.2" }).dnsServers).toEqual(["127.0.0.1:5353", "[::1]:53", "10.0.0.2"]);
    expect(() => loadConfig("local", { DNS_SERVERS: "dns.example.com" })).toThrow(/DNS_SERVERS/);
  });
});
