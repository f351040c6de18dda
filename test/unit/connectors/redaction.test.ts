import { describe, expect, it } from "vitest";
import { destinationOf, isSecretKey, keepRedactedSecrets, REDACTED, redactConfig, redactUri, scrubSecrets, secretValues } from "../../../lib/connectors/redaction.js";

describe("redactUri", () => {
  it.each([
    ["postgresql://user:pass@db.internal:5432/products", `postgresql://user:${REDACTED}@db.internal:5432/products`],
    ["postgresql://user@db:5432/p", "postgresql://user@db:5432/p"],
    ["postgresql://db:5432/p", "postgresql://db:5432/p"],
    ["mongodb://u:p%40ss@h1:27017,h2:27017/db?replicaSet=rs0", `mongodb://u:${REDACTED}@h1:27017,h2:27017/db?replicaSet=rs0`],
    ["mongodb+srv://user:pass@cluster.mongodb.net/", `mongodb+srv://user:${REDACTED}@cluster.mongodb.net/`],
    ["mysql://u:pa:ss@h/db", `mysql://u:${REDACTED}@h/db`],
    ["postgres://u:p@h/db?sslpassword=x&sslmode=require", `postgres://u:${REDACTED}@h/db?sslpassword=${REDACTED}&sslmode=require`],
    ["mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:abc", `mongodb://h/db?authMechanismProperties=${REDACTED}`],
    ["postgres://u:p@w@h/db", `postgres://u:${REDACTED}@h/db`],
  ])("%s", (uri, expected) => {
    expect(redactUri(uri)).toBe(expected);
  });
});

describe("redactConfig", () => {
  it("replaces password, *secret*, *token*, *key* fields and URI passwords, keeps the rest", () => {
    const config = {
      host: "h",
      port: 5432,
      username: "u",
      password: "pw",
      ssl_enabled: true,
      auth_token: "t",
      api_key_value: "k",
      client_secret: "s",
      private_key: "pk",
      nested: { sslkey: "x", note: "n" },
      dsn: "postgresql://u:pw2@h/db",
    };
    expect(redactConfig(config)).toEqual({
      host: "h",
      port: 5432,
      username: "u",
      password: REDACTED,
      ssl_enabled: true,
      auth_token: REDACTED,
      api_key_value: REDACTED,
      client_secret: REDACTED,
      private_key: REDACTED,
      nested: { sslkey: REDACTED, note: "n" },
      dsn: `postgresql://u:${REDACTED}@h/db`,
    });
  });

  it("does not treat identifiers as secrets", () => {
    expect(isSecretKey("key_id")).toBe(false);
    expect(isSecretKey("password")).toBe(true);
    expect(isSecretKey("api_key")).toBe(true);
  });

  it("lists every secret value", () => {
    expect(secretValues({ password: "a", dsn: "postgres://u:b@h/db", nested: { token: "c" }, host: "h" }).sort()).toEqual(["a", "b", "c"]);
    // A URI's password as written and as a driver decodes it, and secret-named query parameters.
    expect(secretValues({ url: "redis://u:p%40ss%2Fw@h:6379/0" }).sort()).toEqual(["p%40ss%2Fw", "p@ss/w"]);
    expect(secretValues({ dsn: "postgres://u@h/db?sslmode=require&password=s%26cret&application_name=x" }).sort()).toEqual(["s%26cret", "s&cret"]);
    expect(scrubSecrets("auth failed for p@ss/w", secretValues({ url: "redis://u:p%40ss%2Fw@h" }))).toBe(`auth failed for ${REDACTED}`);
  });
});

describe("keepRedactedSecrets", () => {
  const stored = { host: "h", password: "old", dsn: "postgres://u:olddsn@h/db", nested: { token: "t" } };

  it("keeps stored values for REDACTED placeholders and takes new values otherwise", () => {
    expect(keepRedactedSecrets({ password: REDACTED, host: "h2" }, stored).merged).toEqual({ password: "old", host: "h2" });
    expect(keepRedactedSecrets({ password: "new" }, stored).merged).toEqual({ password: "new" });
    expect(keepRedactedSecrets({ dsn: `postgres://u:${REDACTED}@h2/db` }, stored).merged).toEqual({ dsn: "postgres://u:olddsn@h2/db" });
    expect(keepRedactedSecrets({ nested: { token: REDACTED } }, stored).merged).toEqual({ nested: { token: "t" } });
  });

  it("reports a placeholder with nothing stored behind it", () => {
    expect(keepRedactedSecrets({ api_token: REDACTED }, stored).unresolved).toBe("connection_config.api_token");
    expect(keepRedactedSecrets({ uri: `mongodb://u:${REDACTED}@h` }, stored).unresolved).toBe("connection_config.uri");
  });
});

describe("scrubSecrets", () => {
  it("replaces every occurrence of each secret in a driver message", () => {
    const message = "connect to postgres://app:hunter22@db failed; password hunter22 rejected; token tk-991";
    expect(scrubSecrets(message, ["hunter22", "tk-991"])).toBe(`connect to postgres://app:${REDACTED}@db failed; password ${REDACTED} rejected; token ${REDACTED}`);
  });

  it("leaves values too short to be told from ordinary text", () => {
    expect(scrubSecrets("a to b", ["a", "to"])).toBe("a to b");
  });

  it("names where a config sends its secrets: hosts, ports, URI hosts and the SSH bastion, not other fields", () => {
    const config = { dsn: "postgresql://u:p@db.internal:5432/app?sslmode=require", ssh_tunnel: { host: "Bastion.example.com", port: 22, username: "u" }, database: "app", batch: 5 };
    expect(destinationOf(config).sort()).toEqual(["dsn=db.internal:5432", "ssh_tunnel.host=bastion.example.com", "ssh_tunnel.port=22"]);
    expect(destinationOf({ ...config, database: "other" })).toEqual(destinationOf(config));
    expect(destinationOf({ ...config, ssh_tunnel: { ...config.ssh_tunnel, host: "evil.example" } })).not.toEqual(destinationOf(config));
    expect(destinationOf({ base_url: "https://api.example.com/v1" })).toEqual(["base_url=api.example.com"]);
  });
});
