import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../lib/errors.js";
import { loadConfig } from "../../../lib/runtime/config.js";

describe("loadConfig", () => {
  it("defaults the local runtime to 127.0.0.1:3000 and ./.sluice", () => {
    const config = loadConfig("local", {});
    expect(config).toMatchObject({ host: "127.0.0.1", port: 3000, encryptionKeys: undefined });
    expect(config.dataDir.endsWith(".sluice")).toBe(true);
  });

  it("refuses to start outside the local runtime without a master key", () => {
    expect(() => loadConfig("aws", {})).toThrow(ConfigurationError);
    expect(() => loadConfig("aws", {})).toThrow(/CONNECTOR_ENCRYPTION_KEY must be set/);
    expect(loadConfig("aws", { CONNECTOR_ENCRYPTION_KEY: "k" }).encryptionKeys).toBe("k");
    expect(loadConfig("aws", { KMS_KEY_ID: "arn:aws:kms:eu-west-1:1:key/x" }).kmsKeyId).toContain("key/x");
  });

  it("rejects a bad PORT or LOG_LEVEL", () => {
    expect(() => loadConfig("local", { PORT: "http" })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig("local", { LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });

  it("refuses a checkpoint interval the partition claim would lapse within", () => {
    expect(loadConfig("local", { PULL_CHECKPOINT_INTERVAL_MS: "0" }).pullCheckpointIntervalMs).toBe(0);
    expect(loadConfig("local", { PULL_LEASE_TTL_SECONDS: "10", PULL_CHECKPOINT_INTERVAL_MS: "5000" }).pullCheckpointIntervalMs).toBe(5000);
    expect(() => loadConfig("local", { PULL_LEASE_TTL_SECONDS: "10", PULL_CHECKPOINT_INTERVAL_MS: "5001" })).toThrow(/PULL_CHECKPOINT_INTERVAL_MS must be at most half of PULL_LEASE_TTL_SECONDS \(5000 ms\)/);
  });
});
