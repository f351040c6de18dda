// The README's API examples, run as written (bash + curl) against the local service: the only
// change is the port, since the test service listens on a free one.
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { ensureCommand } from "../support/servers/net.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function readmeApiExamples(): string[] {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const api = readme.slice(readme.indexOf("\n## API"), readme.indexOf("\n## Secrets"));
  return [...api.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => !block.startsWith("export SLUICE_KEY="));
}

it("every curl example in the README's API section works as written", async () => {
  if (spawnSync("curl", ["--version"]).status !== 0) throw new Error("curl is needed for this test: apt-get install -y curl");
  await ensureCommand("sqlite3", ["sqlite3"], "install the sqlite3 shell: apt-get install -y sqlite3");
  const blocks = readmeApiExamples();
  expect(blocks.length).toBeGreaterThanOrEqual(8);
  const script = ["set -euo pipefail", ...blocks]
    .join("\n")
    .replaceAll("http://127.0.0.1:3000", h.url)
    .replaceAll(".sluice/records.db", path.join(h.dataDir, "records.db"));
  // Asynchronous: the service answering these requests runs in this process's event loop.
  const { stdout: output } = await promisify(execFile)("bash", ["-c", script], { env: { ...process.env, SLUICE_KEY: h.ownerKey } });
  expect(output).toContain('"connection_config":{"dsn":"postgresql://user:***REDACTED***@db.internal:5432/products"}');
  expect(output).toContain('"error":"validation_error"');
  expect(output).toMatch(/^400$/m); // a host change that keeps the stored password is refused
  expect(output).toContain('"field":"connection_config.dsn"');
  // Querri's and Qarion's shapes: aliases mapped, credentials merged and redacted, the space's list.
  expect(output).toContain('"name":"Production Database","connector_type":"postgresql","space":"default"');
  expect(output).toContain('"username":"querri_user","password":"***REDACTED***"');
  expect(output).toContain('"idle_timeout_seconds":600,"max_connections":10}');
  expect(output).toContain('"created_by":{"key_id":"key_');
  expect(output).toContain('"name":"bootstrap owner key"}');
  expect(output).toContain('"permissions":{"can_edit":true,"can_delete":true,"can_share":true}');
  expect(output).toContain('[{"id":"conn_');
  expect(output).toContain('"name":"Production PostgreSQL","connector_type":"postgresql","space":"marketing-analytics"');
  expect(output).toContain('"config":{"host":"db.example.com","port":5432,"database":"analytics","username":"service_account","password":"***REDACTED***"}');
  expect(output).toContain('"is_active":true');
  expect(output).toContain('"product_count":0');
  expect(output).not.toContain("service_pw_123");
  expect(output).toContain('"kind":"dbt_manifest","status":"completed","products_created":7');
  expect(output).toContain('"status":"unknown"'); // the dbt connector's health: no pulls, no tests
  // Push ingestion: the batch with one bad record, the stream's summary and dead letters, the webhooks.
  expect(output).toContain('"record_count":3,"accepted":2,"rejected":1');
  expect(output).toContain('"lines":4,"record_count":4,"accepted":2,"rejected":2');
  expect(output).toContain('"schema_errors":[{"path":"/value","message":"must be number"}]');
  expect(output).toContain('"record_count":1,"accepted":1,"rejected":0');
  expect(output).toContain('"error":"invalid_signature"');
  expect(output).not.toContain("my-long-webhook-secret-123");
  // The records read with sqlite3 from the running service's file.
  expect(output).toContain("custom-1|Widget|a\ncustom-2|Gadget|b\n");
  expect(output).toMatch(/iot +event +3 +20\d\d-/);
  expect(output).toMatch(/my_vertical +my_type +2 +20\d\d-/);
  expect(output).not.toContain("internal_error");
  expect(output).not.toContain("secure_password_123");
  expect(output).not.toContain("new_secure_password");
});
