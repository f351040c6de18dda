// SSH tunnels through a real OpenSSH server (Debian's sshd, started here on 127.0.0.1 for a
// non-root account with key authentication): tests, pulls and metadata syncs go through it; a
// wrong key, a changed host key, a closed port and a database the bastion cannot reach fail typed.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogOf, syncAndWait } from "../support/catalogSuite.js";
import { startHarness, type Harness } from "../support/harness.js";
import { startMariaDb } from "../support/servers/mariadb.js";
import { freePort, type SqlServer } from "../support/servers/net.js";
import { startPostgres } from "../support/servers/postgres.js";
import { startSshd, type SshServer } from "../support/servers/sshd.js";

let h: Harness;
let sshd: SshServer;
let postgres: SqlServer;
let mariadb: SqlServer;
let stranger: { privateKey: string; publicKey: string };

beforeAll(async () => {
  [sshd, postgres, mariadb] = await Promise.all([startSshd(), startPostgres(), startMariaDb()]);
  stranger = await sshd.strangerKey();
  const db = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database });
  await db.connect();
  await db.query("DROP TABLE IF EXISTS tunnelled; CREATE TABLE tunnelled (id int PRIMARY KEY, name text); INSERT INTO tunnelled SELECT g, 'row ' || g FROM generate_series(1, 25) g");
  await db.end();
  h = await startHarness();
}, 300_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([sshd?.stop(), postgres?.stop(), mariadb?.stop()]);
});

const tunnel = (extra: Record<string, unknown> = {}) => ({ host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.privateKey, known_host_key: sshd.hostKey, ...extra });
// The database as the bastion sees it: the tunnel forwards there.
const pgConfig = (tunnelExtra: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  host: "localhost", port: postgres.port, database: postgres.database, user: postgres.user, password: postgres.password, connection_timeout_seconds: 5, ssh_tunnel: tunnel(tunnelExtra), ...extra,
});
const logins = () => sshd.output().split("\n").filter((line) => line.includes(`Accepted publickey for ${sshd.username}`)).length;
const logouts = () => sshd.output().split("\n").filter((line) => line.includes(`Disconnected from user ${sshd.username}`)).length;

async function testOf(connector_type: string, connection_config: Record<string, unknown>) {
  const created = await h.request("POST", "/api/v1/connectors", { body: { name: "tunnelled", connector_type, connection_config } });
  expect(created.status).toBe(201);
  const tested = await h.request("POST", `/api/v1/connectors/${created.body.id}/test`);
  expect(tested.status).toBe(200);
  return tested.body;
}

describe("ssh_tunnel", () => {
  it("carries the create-time test, a pull and a metadata sync, one tunnel per operation, each closed after", async () => {
    const before = logins();
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: "pg via bastion", connector_type: "postgresql", collection: "tunnel", record_type: "row", connection_config: pgConfig(), query: "SELECT id, name FROM tunnelled", batch_size: 10, test_connection: true },
    });
    expect(created.status).toBe(201);
    const pulled = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=30`);
    expect(pulled.status).toBe(200);
    expect(pulled.body).toMatchObject({ status: "completed", records_pulled: 25 });
    const record = await h.request("GET", "/api/v1/records/tunnel/row/25");
    expect(record.body.name).toBe("row 25");
    const synced = await syncAndWait(h, created.body.id);
    expect(synced.status).toBe("completed");
    expect((await catalogOf(h, created.body.id)).map((entry) => entry.name)).toContain("tunnelled");
    // Logged in for the test, the pull and the sync; every one of them closed again.
    expect(logins() - before).toBeGreaterThanOrEqual(3);
    await expect.poll(() => logouts(), { timeout: 5_000 }).toBe(logins());
  });

  it("reaches MySQL/MariaDB the same way", async () => {
    const result = await testOf("mysql", { host: "127.0.0.1", port: mariadb.port, database: mariadb.database, user: mariadb.user, password: mariadb.password, ssh_tunnel: tunnel() });
    expect(result).toMatchObject({ status: "success" });
    expect(result.details.version).toMatch(/MariaDB/);
  });

  it("refuses a key the server does not authorize: ssh_authentication_failed", async () => {
    expect(await testOf("postgresql", pgConfig({ private_key: stranger.privateKey }))).toMatchObject({ status: "failed", error: { type: "ssh_authentication_failed" } });
  });

  it("refuses a server whose host key is not known_host_key: ssh_host_key_mismatch", async () => {
    expect(await testOf("postgresql", pgConfig({ known_host_key: stranger.publicKey }))).toMatchObject({ status: "failed", error: { type: "ssh_host_key_mismatch" } });
  });

  it("types an unreachable SSH server and a database the bastion cannot reach: ssh_connection_refused", async () => {
    expect(await testOf("postgresql", pgConfig({ port: await freePort() }))).toMatchObject({ status: "failed", error: { type: "ssh_connection_refused" } });
    const unreachable = await testOf("postgresql", pgConfig({}, { port: await freePort() }));
    expect(unreachable).toMatchObject({ status: "failed", error: { type: "ssh_connection_refused" } });
    expect(unreachable.error.message).toContain("could not reach");
  });

  it("fails a pull with the tunnel's error type", async () => {
    const created = await h.request("POST", "/api/v1/connectors", {
      body: { name: "pg wrong key", connector_type: "postgresql", collection: "tunnel", record_type: "row", connection_config: pgConfig({ private_key: stranger.privateKey }), query: "SELECT id, name FROM tunnelled" },
    });
    const pulled = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull?wait=30`);
    expect(pulled.body).toMatchObject({ status: "failed", error: { type: "ssh_authentication_failed" } });
  });

  it("refuses an unreadable private_key with 400, and keeps the key secret everywhere", async () => {
    const bad = await h.request("POST", "/api/v1/connectors", { body: { name: "bad key", connector_type: "postgresql", connection_config: pgConfig({ private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nnotakey\n-----END OPENSSH PRIVATE KEY-----" }) } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toContain("ssh_tunnel");
    const created = await h.request("POST", "/api/v1/connectors", { body: { name: "shown", connector_type: "postgresql", connection_config: pgConfig() } });
    const shown = await h.request("GET", `/api/v1/connectors/${created.body.id}`);
    expect(shown.body.connection_config.ssh_tunnel).toMatchObject({ private_key: "***REDACTED***", known_host_key: sshd.hostKey, username: sshd.username });
    // The view sent back (the key as its placeholder) keeps the stored key: the tunnel still opens.
    const resent = await h.request("PATCH", `/api/v1/connectors/${created.body.id}`, { body: { connection_config: shown.body.connection_config } });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/test`)).body).toMatchObject({ status: "success" });
    const keyLines = [sshd.privateKey, stranger.privateKey].flatMap((key) => key.split("\n").filter((line) => line.length > 40 && !line.startsWith("-----")));
    expect(keyLines.length).toBeGreaterThan(2);
    for (const text of [...h.responses, ...h.logs]) {
      for (const line of keyLines) expect(text).not.toContain(line);
      expect(text).not.toContain(postgres.password);
    }
  });
});
