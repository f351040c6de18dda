// A MariaDB server for the MySQL source tests: Debian's mariadb-server (installed when missing
// and running as root on Debian) on a fresh temp datadir, 127.0.0.1 only, or MYSQL_URL.
import { chmod, chown, copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import mysql from "mysql2/promise";
import {
  ensureCommand,
  findCommand,
  LOOPBACK,
  isRoot,
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

/** `url`: mysql://user:password@127.0.0.1:port/sluice_test */
export type MariaDbServer = SqlServer;

/** The account (same password) that must present a client certificate: `REQUIRE X509`. */
export const CERT_USER = "sluice_cert";

const MISSING = "install mariadb-server (apt-get install mariadb-server) or set MYSQL_URL";
const DATABASE = "sluice_test";
const USER = "sluice";
const READY_TIMEOUT_MS = 60_000;
/** The system account Debian's package creates; mariadbd refuses to run as root without one. */
const SYSTEM_USER = "mysql";

/** With `tls`: TLS on, and the CERT_USER account. Needs the local server (MYSQL_URL cannot be reconfigured). */
export async function startMariaDb(options: { tls?: ServerTls } = {}): Promise<MariaDbServer> {
  if (!options.tls) {
    const given = await sqlServerFromEnv("MYSQL_URL", 3306, ping);
    if (given) return given;
  }

  const installedBefore = await findCommand("mariadbd");
  const mariadbd = installedBefore ?? (await ensureCommand("mariadbd", ["mariadb-server"], MISSING));
  if (!installedBefore) await stopPackagedServer();
  const installDb = await ensureCommand("mariadb-install-db", ["mariadb-server"], MISSING);
  const owner = isRoot() ? await systemUserIds() : undefined;
  return onFreePort((port) => launch({ mariadbd, installDb, owner, tls: options.tls }, port));
}

interface Setup {
  mariadbd: string;
  installDb: string;
  /** The system account to run as, when this process is root. */
  owner: { uid: number; gid: number } | undefined;
  tls?: ServerTls;
}

/** The PEM files inside the server's dir, readable by its account; the server options naming them. */
async function tlsOptions(dir: string, tls: ServerTls, owner: Setup["owner"]): Promise<string[]> {
  const files = { cert: join(dir, "server.pem"), key: join(dir, "server.key"), ca: join(dir, "ca.pem") };
  await Promise.all([copyFile(tls.certFile, files.cert), copyFile(tls.keyFile, files.key), copyFile(tls.caFile, files.ca)]);
  await chmod(files.key, 0o600);
  if (owner) await Promise.all(Object.values(files).map((file) => chown(file, owner.uid, owner.gid)));
  return [`--ssl-cert=${files.cert}`, `--ssl-key=${files.key}`, `--ssl-ca=${files.ca}`];
}

/** A fresh datadir and a server on it; the tether removes the dir when the server stops. */
async function launch({ mariadbd, installDb, owner, tls }: Setup, port: number): Promise<MariaDbServer> {
  const dir = await makeTempDir("mariadb");
  const asUser = owner ? [`--user=${SYSTEM_USER}`] : [];
  const datadir = join(dir, "data");
  const initFile = join(dir, "init.sql");
  const errorLog = join(dir, "error.log");
  const password = newPassword();
  let tlsArgs: string[] = [];
  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    await run(installDb, [
      "--no-defaults",
      `--datadir=${datadir}`,
      ...asUser,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      "--skip-name-resolve",
    ]);
    // Run by mariadbd at startup, before it accepts connections: no root session needed.
    await writeFile(
      initFile,
      [
        `CREATE DATABASE ${DATABASE};`,
        `CREATE USER '${USER}'@'${LOOPBACK}' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${USER}'@'${LOOPBACK}';`,
        ...(tls
          ? [`CREATE USER '${CERT_USER}'@'${LOOPBACK}' IDENTIFIED BY '${password}' REQUIRE X509;`, `GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${CERT_USER}'@'${LOOPBACK}';`]
          : []),
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    if (owner) await chown(initFile, owner.uid, owner.gid);
    tlsArgs = tls ? await tlsOptions(dir, tls, owner) : [];
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`preparing a MariaDB datadir failed: ${(err as Error).message}`, { cause: err });
  }

  const server = spawnTethered(
    mariadbd,
    [
      "--no-defaults",
      `--datadir=${datadir}`,
      `--socket=${join(dir, "mysqld.sock")}`,
      `--pid-file=${join(dir, "mysqld.pid")}`,
      `--log-error=${errorLog}`,
      `--port=${port}`,
      `--bind-address=${LOOPBACK}`,
      "--skip-networking=0",
      "--skip-name-resolve",
      `--init-file=${initFile}`,
      "--innodb-buffer-pool-size=64M",
      ...tlsArgs,
      ...asUser,
    ],
    dir,
  );
  const found = {
    host: LOOPBACK,
    port,
    user: USER,
    password,
    database: DATABASE,
    url: `mysql://${USER}:${password}@${LOOPBACK}:${port}/${DATABASE}`,
    stop: () => server.stop(),
  };
  try {
    await waitUntil(`MariaDB on ${LOOPBACK}:${port}`, READY_TIMEOUT_MS, () => ping(found), () =>
      server.running() ? undefined : "mariadbd exited",
    );
  } catch (err) {
    const log = await readFile(errorLog, "utf8").catch(() => "(no error log)");
    await server.stop().catch(() => undefined);
    const message = `${(err as Error).message}\n${server.output()}\nerror log:\n${log.slice(-6_000)}`;
    if (/Address already in use/.test(log)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  return found;
}

async function ping({ host, port, user, password, database }: MariaDbServer): Promise<void> {
  const connection = await mysql.createConnection({ host, port, user, password, database, connectTimeout: 2_000 });
  await connection.end();
}

async function systemUserIds(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", SYSTEM_USER]), run("id", ["-g", SYSTEM_USER])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch (err) {
    throw new Error(`mariadbd runs as the ${SYSTEM_USER} user when started by root, and it is missing: ${MISSING}`, {
      cause: err,
    });
  }
}

/** apt-get may start the packaged server (on 3306) where services may start: stop it, ours differ. */
async function stopPackagedServer(): Promise<void> {
  const pid = Number((await readFile("/run/mysqld/mysqld.pid", "utf8").catch(() => "")).trim());
  if (!pid) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil("the packaged mariadbd to stop", 30_000, async () => {
    if (alive()) throw new Error(`pid ${pid} still running`);
  });
}
