// A pull whose process died leaves the connector `running` and its lease behind. Once the
// lease has expired, update and delete settle it (connector `error`, run `failed`) instead of
// answering 409 forever; while the lease is live they still refuse.
import { afterAll, beforeAll, expect, it } from "vitest";
import { leaseName } from "../../lib/pull/runner.js";
import { LeaseLock } from "../../lib/store/leaseLock.js";
import { seeds, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function crashedPull(id: string, leaseAgeMs: number): Promise<string> {
  const { services } = h.service;
  const runId = `run_crashed${leaseAgeMs}`;
  // A lease taken "leaseAgeMs" ago with the service's ttl: expired when that exceeds the ttl.
  const clock = new LeaseLock(services.db, services.config.controlTable, { ttlMs: services.config.pullLeaseTtlMs, now: () => Date.now() - leaseAgeMs });
  await clock.acquire(leaseName("default", id), runId);
  await services.runs.save({
    run_id: runId, connector_id: id, tenant: "default", trigger: "manual", status: "running",
    records_pulled: 10, records_uploaded: 10, duplicates_skipped: 0, records_rejected: 0,
    started_at: new Date(Date.now() - leaseAgeMs).toISOString(), completed_at: null, duration_seconds: null, last_pull: null, error: null,
  });
  await services.connectorRepository.setState("default", id, { status: "running" });
  return runId;
}

it("refuses update and delete while the pull's lease is live", async () => {
  const { body } = await h.request("POST", "/api/v1/connectors", { body: seeds.postgres });
  await crashedPull(body.id, 0);
  expect((await h.request("PATCH", `/api/v1/connectors/${body.id}`, { body: { name: "x" } })).status).toBe(409);
  expect((await h.request("DELETE", `/api/v1/connectors/${body.id}`)).status).toBe(409);
});

it("settles an interrupted pull once its lease expired: update works, the run is failed", async () => {
  const { body } = await h.request("POST", "/api/v1/connectors", { body: seeds.mysql });
  const runId = await crashedPull(body.id, h.service.services.config.pullLeaseTtlMs + 60_000);
  const patched = await h.request("PATCH", `/api/v1/connectors/${body.id}`, { body: { name: "after the crash" } });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ name: "after the crash", status: "error" });
  expect(patched.body.last_error).toMatch(/interrupted/);
  const run = await h.request("GET", `/api/v1/runs/${runId}`);
  expect(run.body).toMatchObject({ status: "failed", error: { type: "lease_lost" } });
});

it("settles an interrupted pull on delete too", async () => {
  const { body } = await h.request("POST", "/api/v1/connectors", { body: seeds.neo4j });
  await crashedPull(body.id, h.service.services.config.pullLeaseTtlMs + 60_000);
  expect((await h.request("DELETE", `/api/v1/connectors/${body.id}`)).status).toBe(204);
  expect((await h.request("GET", `/api/v1/connectors/${body.id}`)).status).toBe(404);
});

it("settles an interrupted pull on disable too, instead of answering 409", async () => {
  const { body } = await h.request("POST", "/api/v1/connectors", { body: seeds.mongodb });
  const runId = await crashedPull(body.id, h.service.services.config.pullLeaseTtlMs + 60_000);
  const disabled = await h.request("POST", `/api/v1/connectors/${body.id}/disable`, { body: { reason: "after a crash" } });
  expect(disabled.status).toBe(200);
  expect(disabled.body).toMatchObject({ status: "disabled", disabled_reason: "after a crash" });
  expect((await h.request("GET", `/api/v1/runs/${runId}`)).body).toMatchObject({ status: "failed", error: { type: "lease_lost" } });
});

it("the next pull takes the interrupted run up again under its run id once its lease expired", async () => {
  const { body } = await h.request("POST", "/api/v1/connectors", { body: seeds.postgres });
  const live = await crashedPull(body.id, 0);
  expect((await h.request("POST", `/api/v1/connectors/${body.id}/pull?wait=0`)).status).toBe(409); // its lease is live
  await h.service.services.runs.settle("default", live, { status: "failed", completed_at: new Date().toISOString(), duration_seconds: 0, error: null });
  await h.service.services.leases.release({ name: leaseName("default", body.id), owner: live, expiresAt: 0 });

  const runId = await crashedPull(body.id, h.service.services.config.pullLeaseTtlMs + 60_000);
  const pulled = await h.request("POST", `/api/v1/connectors/${body.id}/pull?wait=30`);
  // Same run, resumed once; its source (db.internal) cannot be reached here, so it ends failed.
  expect(pulled.body).toMatchObject({ run_id: runId, resumes: 1, status: "failed", error: { type: expect.stringMatching(/dns_not_found|connection_refused|timeout/) } });
  const runs = await h.request("GET", `/api/v1/connectors/${body.id}/runs`);
  expect(runs.body.items.filter((r: { run_id: string }) => r.run_id === runId)).toHaveLength(1);
});
