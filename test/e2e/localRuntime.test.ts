// `npm start` and `npm run keys` as an operator uses them: first start, the printed key, the
// generated master key file, graceful shutdown with a request in flight, restart, key rotation.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../lib/connectors/redaction.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { secrets, seeds } from "../support/harness.js";
import { npmStart, runKeys, type RunningService } from "../support/processes.js";

let dataDir: string;
let env: Record<string, string>;
let ownerKey: string;
let connectorId: string;
const running: RunningService[] = [];

async function start(extra: Record<string, string> = {}): Promise<RunningService> {
  const service = await npmStart({ ...env, ...extra });
  running.push(service);
  return service;
}

async function stop(service: RunningService): Promise<number | null> {
  service.child.kill("SIGTERM");
  return service.exited;
}

function call(service: RunningService, method: string, route: string, key: string, body?: unknown) {
  return fetch(service.url + route, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-runtime-"));
  env = { SLUICE_DATA_DIR: dataDir, CONNECTOR_ENCRYPTION_KEY: "" };
});
afterAll(async () => {
  for (const service of running) if (service.child.exitCode === null) service.child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("first start: generates a 0600 master key with a warning, bootstraps tenant default and prints its owner key once", async () => {
    const service = await start();
    const printed = /sk_local_[A-Za-z0-9_-]{43}/.exec(service.output());
    expect(printed).not.toBeNull();
    ownerKey = printed![0];
    expect(service.output()).toContain("CONNECTOR_ENCRYPTION_KEY is not set: generated a master key");
    expect(new URL(service.url).hostname).toBe("127.0.0.1");
    const keyFile = await stat(path.join(dataDir, "master.key"));
    expect(keyFile.mode & 0o777).toBe(0o600);
    // Only the banner shows the key; no JSON log line holds it.
    const logLines = service.output().split("\n").filter((line) => line.startsWith("{"));
    expect(logLines.filter((line) => line.includes(ownerKey))).toEqual([]);

    const created = await call(service, "POST", "/api/v1/connectors", ownerKey, seeds.mysql);
    expect(created.status).toBe(201);
    connectorId = ((await created.json()) as { id: string }).id;

    // A request in flight when SIGTERM arrives still gets its answer.
    const body = JSON.stringify({ ...seeds.postgres, name: "in flight" });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 20)));
        await gate;
        controller.enqueue(new TextEncoder().encode(body.slice(20)));
        controller.close();
      },
    });
    const inFlight = fetch(service.url + "/api/v1/connectors", {
      method: "POST",
      headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await new Promise((resolve) => setTimeout(resolve, 300));
    service.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect((await inFlight).status).toBe(201);
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain("stopped cleanly");
    for (const secret of Object.values(secrets)) expect(service.output()).not.toContain(secret);
  });

  it("restart: keeps the data, prints no new key, the old key still works", async () => {
    const service = await start();
    expect(service.output()).not.toMatch(/sk_local_/);
    const list = await call(service, "GET", "/api/v1/connectors?include_available=false", ownerKey);
    const names = ((await list.json()) as { items: { name: string }[] }).items.map((c) => c.name).sort();
    expect(names).toEqual(["Catalog MySQL", "in flight"]);
    expect(await stop(service)).toBe(0);
  });
});

describe("npm run keys", () => {
  it("creates, lists and revokes keys while the service runs", async () => {
    const service = await start();
    const created = await runKeys(["create", "--tenant", "ops", "--role", "viewer", "--name", "grafana"], env);
    expect(created.code, created.stderr).toBe(0);
    const key = /sk_local_[A-Za-z0-9_-]{43}/.exec(created.stdout)![0];
    const keyId = /key_[0-9a-z]{26}/.exec(created.stdout)![0];
    expect((await call(service, "GET", "/api/v1/connectors", key)).status).toBe(200);
    expect((await call(service, "POST", "/api/v1/connectors", key, seeds.neo4j)).status).toBe(403);
    expect((await call(service, "GET", `/api/v1/connectors/${connectorId}`, key)).status).toBe(404);

    const listed = await runKeys(["list"], env);
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).toMatch(/\tdefault\towner\t/);
    expect(listed.stdout).not.toContain(key);

    const revoked = await runKeys(["revoke", keyId], env);
    expect(revoked.stdout).toContain(`revoked ${keyId}`);
    expect((await call(service, "GET", "/api/v1/connectors", key)).status).toBe(401);

    const bad = await runKeys(["create", "--tenant", "ops", "--role", "root"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/role must be one of viewer, editor, owner/);
    expect(await stop(service)).toBe(0);
  });

  it("rotate re-wraps every envelope under the new first key; the old key can then be dropped", async () => {
    const oldKey = (await readFile(path.join(dataDir, "master.key"), "utf8")).trim();
    const newKey = Fernet.generateKey();
    const rotated = await runKeys(["rotate"], { ...env, CONNECTOR_ENCRYPTION_KEY: `${newKey},${oldKey}` });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("re-wrapped 2 of 2 connector envelopes");

    const service = await start({ CONNECTOR_ENCRYPTION_KEY: newKey });
    // PATCH with a ***REDACTED*** password must decrypt the stored config to keep it.
    const patched = await call(service, "PATCH", `/api/v1/connectors/${connectorId}`, ownerKey, {
      connection_config: { ...seeds.mysql.connection_config, password: REDACTED, database: "rotated" },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { connection_config: { database: string } }).connection_config.database).toBe("rotated");
    expect(await stop(service)).toBe(0);
  });
});
