// TLS with the connector's own PEM CA and client certificate, against PostgreSQL and MariaDB
// configured for TLS with a CA this test makes with openssl. The server certificate names
// db.sluice.test, which the test's resolver (DNS_SERVERS) points at 127.0.0.1, as is
// other.sluice.test, a name the certificate does not carry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { startDns, type TestDns } from "../support/servers/dns.js";
import { CERT_USER as MARIADB_CERT_USER, startMariaDb } from "../support/servers/mariadb.js";
import type { SqlServer } from "../support/servers/net.js";
import { CERT_USER as POSTGRES_CERT_USER, startPostgres } from "../support/servers/postgres.js";
import { createTestCa, type Issued, type TestCa } from "../support/servers/tlsCa.js";

const NAME = "db.sluice.test";
const OTHER_NAME = "other.sluice.test";

let h: Harness;
let dns: TestDns;
let ca: TestCa;
let otherCa: TestCa;
let client: Issued;
let foreignClient: Issued;
const servers: Partial<Record<"postgresql" | "mysql", SqlServer>> = {};

beforeAll(async () => {
  [ca, otherCa, dns] = await Promise.all([createTestCa("good"), createTestCa("other"), startDns()]);
  dns.set(NAME, ["127.0.0.1"]);
  dns.set(OTHER_NAME, ["127.0.0.1"]);
  const serverCert = await ca.server(NAME, { dns: [NAME] });
  client = await ca.client(POSTGRES_CERT_USER); // MariaDB's CERT_USER is the same name
  foreignClient = await otherCa.client(POSTGRES_CERT_USER);
  const tls = { certFile: serverCert.certFile, keyFile: serverCert.keyFile, caFile: ca.caFile };
  [servers.postgresql, servers.mysql] = await Promise.all([startPostgres({ tls }), startMariaDb({ tls })]);
  h = await startHarness({ DNS_SERVERS: dns.server });
}, 300_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([servers.postgresql?.stop(), servers.mysql?.stop(), dns?.stop(), ca?.remove(), otherCa?.remove()]);
});

describe.each([
  { type: "postgresql" as const, certUser: POSTGRES_CERT_USER, query: "SELECT 1 AS id, 'over tls' AS name, ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()" },
  { type: "mysql" as const, certUser: MARIADB_CERT_USER, query: "SELECT 1 AS id, 'over tls' AS name, VARIABLE_VALUE AS tls FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'" },
])("$type with TLS", ({ type, certUser, query }) => {
  const config = (extra: Record<string, unknown> = {}) => {
    const server = servers[type]!;
    return { host: NAME, port: server.port, database: server.database, user: server.user, password: server.password, ssl_mode: "verify-full", ssl_ca: ca.caPem, connection_timeout_seconds: 5, ...extra };
  };
  const testOf = async (connection_config: Record<string, unknown>) => {
    const created = await h.request("POST", "/api/v1/connectors", { body: { name: `${type} tls`, connector_type: type, connection_config } });
    expect(created.status).toBe(201);
    const tested = await h.request("POST", `/api/v1/connectors/${created.body.id}/test`);
    expect(tested.status).toBe(200);
    return tested.body;
  };

  it("connects with the right CA under verify-full, checked on create, and pulls over TLS", async () => {
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: `${type} verified`, connector_type: type, collection: `tls_${type}`, record_type: "row", connection_config: config(), query, test_connection: true },
    });
    expect(created.status).toBe(201);
    const pulled = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=30`);
    expect(pulled.status).toBe(200);
    expect(pulled.body.status).toBe("completed");
    const record = await h.request("GET", `/api/v1/records/tls_${type}/row/1`);
    expect(record.status).toBe(200);
    // The server's own view of the session: encrypted (pg_stat_ssl.ssl, MariaDB's Ssl_cipher).
    expect(String(record.body.vertical_data.tls)).toMatch(/^(true|1|[A-Z0-9_-]+)$/);
    expect(String(record.body.vertical_data.tls)).not.toBe("");
  });

  it("fails with ssl_error when the server's certificate does not chain to ssl_ca", async () => {
    const result = await testOf(config({ ssl_ca: otherCa.caPem }));
    expect(result).toMatchObject({ status: "failed", error: { type: "ssl_error" } });
  });

  it("fails with ssl_error under verify-full when the host name is not the certificate's; verify-ca does not check it", async () => {
    expect(await testOf(config({ host: OTHER_NAME }))).toMatchObject({ status: "failed", error: { type: "ssl_error" } });
    expect(await testOf(config({ host: OTHER_NAME, ssl_mode: "verify-ca" }))).toMatchObject({ status: "success" });
  });

  it("needs the client certificate where the account requires one: without it ssl_error, with it connected", async () => {
    expect(await testOf(config({ user: certUser }))).toMatchObject({ status: "failed", error: { type: "ssl_error" } });
    expect(await testOf(config({ user: certUser, ssl_cert: foreignClient.certPem, ssl_key: foreignClient.keyPem }))).toMatchObject({ status: "failed", error: { type: "ssl_error" } });
    expect(await testOf(config({ user: certUser, ssl_cert: client.certPem, ssl_key: client.keyPem }))).toMatchObject({ status: "success" });
  });

  it("keeps ssl_key secret: redacted in views, in no response or log line; the certificates are shown", async () => {
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: `${type} keyed`, connector_type: type, connection_config: config({ user: certUser, ssl_cert: client.certPem, ssl_key: client.keyPem }) },
    });
    expect(created.status).toBe(201);
    const shown = await h.request("GET", `/api/v1/connectors/${created.body.id}`);
    expect(shown.body.connection_config).toMatchObject({ ssl_key: "***REDACTED***", ssl_cert: client.certPem, ssl_ca: ca.caPem });
    // A PATCH of other fields keeps the stored key (the view's placeholder is no PEM to check),
    // and so does one that sends the view's connection_config back: the test still connects.
    const renamed = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { body: { name: `${type} keyed, renamed` } });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const resent = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { body: { connection_config: shown.body.connection_config } });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/test`)).body).toMatchObject({ status: "success" });
    const keyBody = client.keyPem.split("\n").filter((line) => line && !line.startsWith("-----")).join("");
    for (const text of [...h.responses, ...h.logs]) {
      expect(text).not.toContain(keyBody.slice(0, 40));
      expect(text).not.toContain(servers[type]!.password);
    }
  });
});

describe("PEM validation at the edge", () => {
  it("refuses what is not a certificate or key with 400, without echoing it", async () => {
    const server = servers.postgresql!;
    const base = { host: NAME, port: server.port, database: server.database, user: server.user, password: server.password };
    for (const [field, value] of [["ssl_ca", "not a certificate"], ["ssl_key", "-----BEGIN PRIVATE KEY-----\nsecretgarbage\n-----END PRIVATE KEY-----"]] as const) {
      const response = await h.request("POST", "/api/v1/connectors", { body: { name: "bad pem", connector_type: "postgresql", connection_config: { ...base, [field]: value, ...(field === "ssl_key" ? { ssl_cert: client.certPem } : {}) } } });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("validation_error");
      expect(response.text).toContain(field);
      expect(response.text).not.toContain("secretgarbage");
    }
  });
});
