// The `sluice` command (bin/sluice.js), run as a process against the real local service: every
// command group, --json, the progress of a waited pull and of an NDJSON upload, and exit codes.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/servers/net.js";
import { PRODUCTS, restConnector, restCreds, slowPages, startClientFixture, type ClientFixture } from "./clientFixtures.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/sluice.js");

let f: ClientFixture;
let dir: string;
beforeAll(async () => {
  f = await startClientFixture();
  dir = await mkdtemp(path.join(os.tmpdir(), "sluice-cli-"));
}, 120_000);
afterAll(async () => {
  await f?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sluice …` (asynchronously: the service answering it runs in this process). */
function sluice(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, SLUICE_URL: f.h.url, SLUICE_KEY: f.h.ownerKey, ...env }, cwd: path.resolve(import.meta.dirname, "../.."), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function json(args: string[]): Promise<any> {
  const result = await sluice(["--json", ...args]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout);
}

async function bodyFile(name: string, body: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(body));
  return file;
}

describe("connectors", () => {
  it("create -f, list, get, update -f, runs, health, test, delete", async () => {
    const created = await json(["connectors", "create", "-f", await bodyFile("create.json", restConnector(f.api))]);
    expect(created).toMatchObject({ id: expect.stringMatching(/^conn_/), connector_type: "rest_api" });
    expect(JSON.stringify(created)).not.toContain(restCreds.bearer);

    const listed = await json(["connectors", "list", "--type", "rest_api"]);
    expect(listed.items.map((c: { id: string }) => c.id)).toContain(created.id);
    const table = await sluice(["connectors", "list", "--all"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^id +name +connector_type +status/);
    expect(table.stdout).toContain(created.id);

    expect(await json(["connectors", "get", created.id])).toMatchObject({ id: created.id });
    const human = await sluice(["connectors", "get", created.id]);
    expect(JSON.parse(human.stdout)).toMatchObject({ id: created.id }); // indented JSON for people
    expect(human.stdout).toContain('\n  "id": ');

    expect(await json(["connectors", "update", created.id, "-f", await bodyFile("patch.json", { name: "renamed by the CLI" })])).toMatchObject({ name: "renamed by the CLI" });
    expect(await json(["connectors", "test", created.id])).toMatchObject({ status: "success" });
    expect(await json(["connectors", "pull", created.id])).toMatchObject({ status: "completed", records_pulled: PRODUCTS });
    const runs = await json(["connectors", "runs", created.id]);
    expect(runs.items).toHaveLength(1);
    expect(await json(["connectors", "run", runs.items[0].run_id])).toMatchObject({ run_id: runs.items[0].run_id, status: "completed", records_pulled: PRODUCTS });
    const runTable = await sluice(["connectors", "runs", created.id]);
    expect(runTable.stdout).toMatch(/^run_id +trigger +status +records_pulled/);
    expect(runTable.stdout).toContain(runs.items[0].run_id);
    expect(await json(["connectors", "health", created.id])).toMatchObject({ connector_id: created.id, status: "healthy" });
    expect(await json(["connectors", "disable", created.id, "--reason", "cli test"])).toMatchObject({ status: "disabled", disabled_reason: "cli test" });
    expect(await json(["connectors", "enable", created.id])).toMatchObject({ status: "active" });
    expect(await json(["connectors", "sync", created.id])).toMatchObject({ job_id: expect.stringMatching(/^sync_/), status: "running" });

    expect(await json(["connectors", "delete", created.id, "--force"])).toEqual({ id: created.id, deleted: true });
    const gone = await sluice(["connectors", "get", created.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^sluice: 404 not_found: connector .* not found \(request [\w-]+\)\n$/);
  });

  it("pull --wait draws live progress from the run's checkpoints and prints the ended run", async () => {
    const { id } = await json(["connectors", "create", "-f", await bodyFile("slow.json", restConnector(f.api))]);
    slowPages(f.api, 6, 700);
    const result = await sluice(["connectors", "pull", id, "--wait"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "completed", records_pulled: PRODUCTS, chunks_done: 5 });
    // Not a terminal: plain progress lines, at most one a second, rising to the end.
    const lines = result.stderr.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^pull \d+ records/);
    const counts = lines.map((line) => Number(/^pull (\d+)/.exec(line)![1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(PRODUCTS);
    expect(lines.some((line) => / \d+ chunks?/.test(line))).toBe(true);
    expect(result.stderr).not.toContain("\r");

    slowPages(f.api, 6, 300);
    const quiet = await sluice(["--json", "connectors", "pull", id, "--wait"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe(""); // --json: only JSON, no progress
    expect(JSON.parse(quiet.stdout)).toMatchObject({ status: "completed", duplicates_skipped: PRODUCTS });
  });

  it("exit 3 when a waited pull fails or a connection test fails", async () => {
    const { id } = await json(["connectors", "create", "-f", await bodyFile("bad.json", restConnector(f.api, { bearer: "wrong-cli-S3cret" }))]);
    const pulled = await sluice(["connectors", "pull", id, "--wait"]);
    expect(pulled.code).toBe(3);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ status: "failed", error: { type: "authentication_failed" } });
    expect(pulled.stderr).toMatch(/ended failed: authentication_failed/);
    const tested = await sluice(["--json", "connectors", "test", id]);
    expect(tested.code).toBe(3);
    expect(JSON.parse(tested.stdout)).toMatchObject({ status: "failed" });
    expect(JSON.parse(tested.stderr)).toMatchObject({ error: "failed" });
    expect(pulled.stdout + pulled.stderr + tested.stdout + tested.stderr).not.toContain("wrong-cli-S3cret");
  });
});

describe("data in and out", () => {
  it("ingest FILE.ndjson with progress, then records export as NDJSON", async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ name: `Item ${i}`, source_id: `i-${i}`, vertical_data: { n: i, pad: "x".repeat(100) } }));
    const file = path.join(dir, "items.ndjson");
    await writeFile(file, [...lines, "{oops"].join("\n") + "\n");
    const result = await sluice(["ingest", file, "-c", "cli_items", "-t", "item"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ lines: 4001, accepted: 4000, rejected: 1 });
    expect(result.stderr).toMatch(/^ingest .*\[#+\] 100% +\d+(\.\d)? KB\/\d+(\.\d)? KB$/m);

    const exported = await sluice(["records", "export", "cli_items", "item"]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = exported.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(records).toHaveLength(4000);
    expect(new Set(records.map((r) => r.source_id)).size).toBe(4000);
    expect(records.find((r) => r.source_id === "i-7")).toMatchObject({ name: "Item 7", vertical_data: { n: 7 } });
  });

  it("dbt upload ID FILE; a missing file is a usage error and sends nothing", async () => {
    const { id } = await json(["connectors", "create", "-f", await bodyFile("dbt.json", { name: "dbt via CLI", connector_type: "dbt", connection_config: { project_name: "jaffle" } })]);
    const before = f.h.logs.filter((line) => line.includes("dbt-manifest")).length;
    const missing = await sluice(["dbt", "upload", id, "target/missing-manifest.json"]);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toContain("target/missing-manifest.json: no such file");
    expect(f.h.logs.filter((line) => line.includes("dbt-manifest")).length).toBe(before);
    expect(await json(["dbt", "upload", id, "test/fixtures/dbt/jaffle_shop.manifest.v12.json"])).toMatchObject({ kind: "dbt_manifest", status: "completed", products_created: 7 });
  });

  it("keys: list (the default), create, revoke", async () => {
    const created = await json(["keys", "create", "--role", "viewer", "--name", "cli viewer"]);
    expect(created).toMatchObject({ role: "viewer", key: expect.stringMatching(/^sk_local_/) });
    expect((await json(["keys"])).items.map((k: { key_id: string }) => k.key_id)).toContain(created.key_id);
    const refused = await sluice(["--json", "connectors", "create", "-f", await bodyFile("v.json", restConnector(f.api))], { SLUICE_KEY: created.key });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ status: 403, error: "forbidden", request_id: expect.any(String) });
    expect(await json(["keys", "revoke", created.key_id])).toEqual({ key_id: created.key_id, revoked: true });
    expect(f.h.logs.join("\n")).not.toContain(created.key);
  });
});

describe("exit codes", () => {
  it("2 for usage errors, 1 for API errors, 4 when the service cannot be reached", async () => {
    expect((await sluice(["connectors", "frobnicate"])).code).toBe(2);
    expect((await sluice(["connectors", "get"])).code).toBe(2); // missing argument
    const noKey = await sluice(["connectors", "list"], { SLUICE_KEY: undefined });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("SLUICE_KEY is not set");
    expect((await sluice(["connectors", "create", "-f", path.join(dir, "none.json")])).code).toBe(2);
    await writeFile(path.join(dir, "broken.json"), "{not json");
    expect((await sluice(["connectors", "create", "-f", path.join(dir, "broken.json")])).stderr).toContain("is not valid JSON");
    const invalid = await sluice(["--json", "connectors", "create", "-f", await bodyFile("invalid.json", { ...restConnector(f.api), batch_size: 0 })]);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stderr)).toMatchObject({ status: 400, error: "validation_error", field: "batch_size" });
    const unreachable = await sluice(["connectors", "list"], { SLUICE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain("cannot reach the Sluice service");
    expect((await sluice(["--help"])).code).toBe(0);
  });
});
