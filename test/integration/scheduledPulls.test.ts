// Scheduling around real pulls (PostgreSQL): disable/enable and the schedule calls every
// connector change makes, scheduled pulls that find a pull running (a `skipped` run), the
// Lambda dispatcher's asynchronous invoke, and 20 concurrent triggers of one connector.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService } from "../../lib/connectors/service.js";
import { EnvelopeCodec } from "../../lib/crypto/envelope.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { LambdaDispatcher } from "../../lib/dispatch/lambda.js";
import { leaseName } from "../../lib/pull/runner.js";
import { runScheduledPull } from "../../lib/pull/scheduled.js";
import type { ScheduledConnector, Scheduler } from "../../lib/schedule/contract.js";
import { startHarness, type Harness } from "../support/harness.js";
import { startPostgres, type PostgresServer } from "../support/servers/postgres.js";

let h: Harness;
let server: PostgresServer;
const ROWS = 40;

beforeAll(async () => {
  server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query("DROP TABLE IF EXISTS items");
  await client.query(`CREATE TABLE items AS SELECT i AS id, 'Item ' || i AS name FROM generate_series(1, ${ROWS}) AS i`);
  await client.end();
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

const connector = (query: string, extra: Record<string, unknown> = {}) => ({
  name: "items",
  connector_type: "postgresql",
  collection: "sched",
  record_type: `item_${Math.random().toString(36).slice(2, 8)}`,
  connection_config: { dsn: server.url },
  query,
  ...extra,
});
// The sleep keeps the pull running long enough for every other trigger to meet it.
const SLOW = "SELECT id, name FROM items, pg_sleep(1.5) AS s";

describe("disable and enable", () => {
  it("a disabled connector refuses pulls with 409 and shows why; enable restores it", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT id, name FROM items") });
    const disabled = await h.request("POST", `/api/v1/connectors/${created.body.id}/disable`, { body: { reason: "Maintenance window" } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ status: "disabled", disabled_reason: "Maintenance window" });
    expect(disabled.body.disabled_at).toEqual(expect.any(String));
    const refused = await h.request("POST", `/api/v1/connectors/${created.body.id}/pull`);
    expect(refused.status).toBe(409);
    expect((await h.request("GET", `/api/v1/connectors?status=disabled&include_available=false`)).body.items.map((c: any) => c.id)).toContain(created.body.id);
    const enabled = await h.request("POST", `/api/v1/connectors/${created.body.id}/enable`);
    expect(enabled.body).toMatchObject({ status: "active", disabled_at: null, disabled_reason: null });
    expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/pull`)).body).toMatchObject({ status: "completed", records_pulled: ROWS });
    // Without a body, and with bad input.
    expect((await h.request("POST", `/api/v1/connectors/${created.body.id}/disable`)).body.status).toBe("disabled");
    const bad = await h.request("POST", `/api/v1/connectors/${created.body.id}/disable`, { body: { reason: 42 } });
    expect(bad).toMatchObject({ status: 400, body: { field: "reason" } });
  });

  it("keeps the schedule in step: created, updated, paused, resumed, removed", async () => {
    const calls: string[] = [];
    const scheduler: Scheduler = {
      upsert: async (c: ScheduledConnector) => void calls.push(`upsert ${c.schedule} ${c.timezone} ${c.enabled ? "on" : "off"}`),
      remove: async () => void calls.push("remove"),
    };
    const { services } = h.service;
    const ring = KeyRing.parse(Fernet.generateKey());
    const connectors = new ConnectorService({ repository: services.connectorRepository, envelopes: new EnvelopeCodec(new LocalKeyProvider(ring)), scheduler });
    const made = await connectors.create("sched", connector("SELECT 1", { schedule: "0 2 * * *", timezone: "Europe/Berlin" }));
    await connectors.update("sched", made.id, { schedule: "0 */6 * * *" });
    await connectors.update("sched", made.id, { name: "renamed" }); // no schedule change, no call
    await connectors.disable("sched", made.id, { reason: "pause" });
    await connectors.enable("sched", made.id);
    await connectors.update("sched", made.id, { schedule: null });
    await connectors.delete("sched", made.id, { force: false });
    expect(calls).toEqual([
      "upsert 0 2 * * * Europe/Berlin on",
      "upsert 0 */6 * * * Europe/Berlin on",
      "upsert 0 */6 * * * Europe/Berlin off",
      "upsert 0 */6 * * * Europe/Berlin on",
      "remove",
      "remove",
    ]);
  });

  it("rejects schedules EventBridge cannot run, saying why", async () => {
    for (const [schedule, reason] of [
      ["0 0 1 * 1", /both restricted/],
      ["0 0 0 2 * *", /seconds/],
      ["*/0 * * * *", /step/],
    ] as const) {
      const response = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT 1", { schedule }) });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe("schedule");
      expect(response.body.message).toMatch(reason);
    }
  });
});

describe("scheduled pulls", () => {
  const deps = () => ({ runner: h.service.services.runner, runs: h.service.services.runs, logger: h.service.services.logger });

  it("runs a pull with trigger schedule; a disabled or deleted connector is not pulled", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT id, name FROM items") });
    const run = await runScheduledPull(deps(), { tenant: "default", connector_id: created.body.id });
    expect(run).toMatchObject({ trigger: "schedule", status: "completed", records_pulled: ROWS });
    await h.request("POST", `/api/v1/connectors/${created.body.id}/disable`);
    expect(await runScheduledPull(deps(), { tenant: "default", connector_id: created.body.id })).toBeUndefined();
    expect(await runScheduledPull(deps(), { tenant: "default", connector_id: "conn_gone" })).toBeUndefined();
    expect(await runScheduledPull(deps(), { nonsense: true })).toBeUndefined();
  });

  it("20 concurrent triggers, manual and scheduled: one run executes, the rest get 409 or a skipped run, no duplicate record", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector(SLOW) });
    const id = created.body.id;
    const triggers = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`).then((r) => ({ kind: "manual", status: r.status, body: r.body }))
        : runScheduledPull(deps(), { tenant: "default", connector_id: id }).then((run) => ({ kind: "schedule", status: 200, body: run })),
    );
    const results = await Promise.all(triggers);
    const executed = results.filter((r) => r.body?.status === "completed");
    const refused = results.filter((r) => r.kind === "manual" && r.status === 409);
    const skipped = results.filter((r) => r.kind === "schedule" && r.body?.status === "skipped");
    expect(executed).toHaveLength(1);
    expect(refused.length + skipped.length).toBe(19);
    expect(skipped.every((r) => r.body.reason === "already running")).toBe(true);
    const history = await h.request("GET", `/api/v1/connectors/${id}/runs?limit=50`);
    expect(history.body.items.filter((r: any) => r.status === "completed")).toHaveLength(1);
    expect(history.body.items.filter((r: any) => r.status === "skipped")).toHaveLength(skipped.length);
    const records = await h.request("GET", `/api/v1/records/sched/${created.body.record_type}?limit=100`);
    expect(records.body.items).toHaveLength(ROWS);
    expect(new Set(records.body.items.map((r: any) => r.source_id)).size).toBe(ROWS);
  });
});

describe("the Lambda dispatcher", () => {
  it("hands a begun pull to the worker by asynchronous invoke", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT id, name FROM items") });
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const { runner } = h.service.services;
    const dispatcher = new LambdaDispatcher(new LambdaClient({ region: "eu-west-1" }), "arn:aws:lambda:eu-west-1:1:function:worker");
    const begun = await runner.begin("default", created.body.id, "manual");
    expect(await dispatcher.dispatch(runner.job(begun))).toEqual({});
    const sent = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ FunctionName: "arn:aws:lambda:eu-west-1:1:function:worker", InvocationType: "Event" });
    expect(JSON.parse(Buffer.from(sent.Payload as Uint8Array).toString())).toEqual({
      kind: "resume", tenant: "default", connector_id: created.body.id, run_id: begun.run.run_id, lease_expires_at: begun.lease.expiresAt,
    });
    // What the worker does with that event:
    const { resumePull } = await import("../../lib/pull/scheduled.js");
    const event = JSON.parse(Buffer.from(sent.Payload as Uint8Array).toString());
    const done = await resumePull(runner, event);
    expect(done).toMatchObject({ status: "completed", records_pulled: ROWS, worker_started_at: expect.any(String) });
    // Lambda may deliver the same event again: the finished run is answered, not run twice.
    expect(await resumePull(runner, event)).toEqual(done);
    lambda.restore();
  });

  it("runs a pull once when the worker gets its event twice at the same time", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT id, name FROM items") });
    const { runner, runs } = h.service.services;
    const begun = await runner.begin("default", created.body.id, "manual");
    const event = { kind: "resume" as const, tenant: "default", connector_id: created.body.id, run_id: begun.run.run_id, lease_expires_at: begun.lease.expiresAt };
    const { resumePull } = await import("../../lib/pull/scheduled.js");
    const answers = await Promise.all([resumePull(runner, event), resumePull(runner, event)]);
    expect(answers.map((run) => run.status).sort()).toEqual(["completed", "running"]);
    expect(await runs.get("default", begun.run.run_id)).toMatchObject({ status: "completed", records_pulled: ROWS, records_uploaded: ROWS, duplicates_skipped: 0 });
  });

  it("a failed invoke fails the run and frees the lease", async () => {
    const created = await h.request("POST", "/api/v1/connectors", { body: connector("SELECT id, name FROM items") });
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).rejects(new Error("AccessDeniedException"));
    const { runner, runs, leases } = h.service.services;
    const dispatcher = new LambdaDispatcher(new LambdaClient({ region: "eu-west-1" }), "arn:worker");
    const begun = await runner.begin("default", created.body.id, "manual");
    await expect(dispatcher.dispatch(runner.job(begun))).rejects.toThrow(/could not be started/);
    expect((await runs.get("default", begun.run.run_id)).status).toBe("failed");
    expect(await leases.isHeld(leaseName("default", created.body.id))).toBe(false);
    expect((await h.request("GET", `/api/v1/connectors/${created.body.id}`)).body.status).toBe("error");
    lambda.restore();
  });
});
