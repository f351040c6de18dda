// Event deliveries end to end: a real pull on a real PostgreSQL raises events, which the local
// service POSTs to a receiver this test runs on 127.0.0.1. The receiver checks every signature
// with the reference library (standardwebhooks), fails some attempts on purpose (500s, a hang
// past the timeout) and sees them retried with backoff and logged; a receiver that never answers
// does not hold a pull up; a delivery left pending by a stopped service is sent by the next one.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { handleWorkerEvent } from "../../lib/dispatch/worker.js";
import type { Dispatcher, Job } from "../../lib/dispatch/contract.js";
import { LocalDeliveryLoop } from "../../lib/events/localLoop.js";
import { WorkerDeliveryTrigger } from "../../lib/events/workerTrigger.js";
import type { EventType } from "../../lib/events/contract.js";
import { startLocalService, type LocalService } from "../../lib/local/server.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { startHarness, type Harness } from "../support/harness.js";
import { postgresWith } from "../support/postgresWith.js";
import { answer, Receiver, until, type Behaviour } from "../support/servers/eventReceiver.js";
import { freePort } from "../support/servers/net.js";
import type { PostgresServer } from "../support/servers/postgres.js";

const TIMEOUT_MS = 1500;
const RETRY_BASE_MS = 200;
const MAX_ATTEMPTS = 4;
const eventEnv = { EVENT_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS), EVENT_RETRY_BASE_MS: String(RETRY_BASE_MS), EVENT_MAX_ATTEMPTS: String(MAX_ATTEMPTS) };

let h: Harness;
let pg: PostgresServer;
const receiver = new Receiver();

beforeAll(async () => {
  pg = await postgresWith(["DROP TABLE IF EXISTS gauges", "CREATE TABLE gauges AS SELECT i AS id, 'gauge ' || i AS name FROM generate_series(1, 25) AS i"]);
  await receiver.start();
  h = await startHarness(eventEnv);
}, 180_000);
afterAll(async () => {
  await h?.close();
  await receiver.stop();
  await pg?.stop();
});

async function subscribe(path: string, events: string[], behaviour: Behaviour): Promise<{ id: string; secret: string }> {
  const created = await h.request("POST", "/api/v1/event-subscriptions", { body: { url: receiver.on(path, behaviour), events } });
  expect(created.status).toBe(201);
  receiver.secrets.set(path, created.body.secret);
  return created.body;
}

async function connector(name: string, dsn: string): Promise<string> {
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name, connector_type: "postgresql", collection: "plant", record_type: "gauge", connection_config: { dsn }, query: "SELECT id, name FROM gauges", test_connection: false },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

const deliveries = async (subscriptionId: string) => (await h.request("GET", `/api/v1/event-subscriptions/${subscriptionId}/deliveries`)).body.items as any[];
const settled = (items: any[], count: number) => items.length >= count && items.every((d) => d.status !== "pending");

describe("event deliveries", () => {
  it("delivers a completed pull, signed, to each subscriber; 500s and a timeout are retried with backoff and logged", async () => {
    const ok = await subscribe("/ok", ["pull.completed"], answer(204));
    const flaky = await subscribe("/flaky", ["pull.completed"], (n, _req, res) => res.writeHead(n <= 2 ? 500 : 200).end());
    const slow = await subscribe("/slow", ["pull.completed"], (n, _req, res) => (n === 1 ? receiver.hang(res) : res.writeHead(200).end()));
    const down = await subscribe("/down", ["pull.completed"], answer(503));
    const notMine = await subscribe("/failures-only", ["pull.failed"], answer(204));

    const id = await connector("gauges", pg.url);
    const pull = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`);
    expect(pull.body).toMatchObject({ status: "completed", records_pulled: 25 });

    const okLog = await until("the /ok delivery", () => deliveries(ok.id), (items) => settled(items, 1));
    expect(okLog).toEqual([
      expect.objectContaining({ event_type: "pull.completed", status: "delivered", attempt_count: 1, next_attempt_at: null, delivered_at: expect.any(String) }),
    ]);
    expect(okLog[0].attempts).toEqual([{ attempt: 1, at: expect.any(String), status_code: 204, error: null, duration_ms: expect.any(Number) }]);
    const [sent] = receiver.at("/ok");
    expect(sent!.verified).toBe(true);
    expect(sent!.id).toBe(okLog[0].id);
    expect(sent!.body).toBe(okLog[0].body);
    expect(JSON.parse(sent!.body)).toEqual({
      type: "pull.completed",
      timestamp: expect.any(String),
      data: expect.objectContaining({ run_id: pull.body.run_id, connector_id: id, status: "completed", records_pulled: 25, records_uploaded: 25, trigger: "manual" }),
    });

    const flakyLog = (await until("the /flaky retries", () => deliveries(flaky.id), (items) => settled(items, 1)))[0];
    expect(flakyLog).toMatchObject({ status: "delivered", attempt_count: 3 });
    expect(flakyLog.attempts.map((a: any) => [a.attempt, a.status_code, a.error])).toEqual([[1, 500, "the receiver answered 500"], [2, 500, "the receiver answered 500"], [3, 200, null]]);
    const flakySent = receiver.at("/flaky");
    expect(flakySent).toHaveLength(3);
    // The same message each time (one webhook-id, one body), signed anew, and verified every time.
    expect(new Set(flakySent.map((r) => r.id)).size).toBe(1);
    expect(new Set(flakySent.map((r) => r.body)).size).toBe(1);
    expect(flakySent.every((r) => r.verified)).toBe(true);
    // Exponential backoff: the second wait is about twice the first.
    const gaps = [flakySent[1]!.at - flakySent[0]!.at, flakySent[2]!.at - flakySent[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(RETRY_BASE_MS);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS);

    const slowLog = (await until("the /slow retry", () => deliveries(slow.id), (items) => settled(items, 1)))[0];
    expect(slowLog).toMatchObject({ status: "delivered", attempt_count: 2 });
    expect(slowLog.attempts[0]).toMatchObject({ attempt: 1, status_code: null, error: `the receiver did not answer within ${TIMEOUT_MS} ms` });
    expect(slowLog.attempts[0].duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(slowLog.attempts[1]).toMatchObject({ attempt: 2, status_code: 200, error: null });
    expect(receiver.at("/slow").every((r) => r.verified)).toBe(true);

    const downLog = (await until("the /down delivery to be given up", () => deliveries(down.id), (items) => settled(items, 1), 30_000))[0];
    expect(downLog).toMatchObject({ status: "failed", attempt_count: MAX_ATTEMPTS, next_attempt_at: null, delivered_at: null });
    expect(downLog.attempts.map((a: any) => a.status_code)).toEqual(Array(MAX_ATTEMPTS).fill(503));
    expect(receiver.at("/down")).toHaveLength(MAX_ATTEMPTS);

    expect(await deliveries(notMine.id)).toEqual([]);
    expect(receiver.at("/failures-only")).toEqual([]);
  }, 60_000);

  it("raises pull.failed and connector.connection_failed for a refused port and for a wrong password", async () => {
    const failures = await subscribe("/failures", ["pull.failed", "connector.connection_failed", "connector.credentials_expired"], answer(200));
    const refused = await connector("refused", `postgresql://sluice:x@127.0.0.1:${await freePort()}/sluice_test`);
    const wrong = await connector("wrong password", pg.url.replace(/:\/\/([^:]+):[^@]+@/, "://$1:not-the-password@"));
    for (const id of [refused, wrong]) expect((await h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`)).body.status).toBe("failed");

    await until("four deliveries", () => deliveries(failures.id), (items) => settled(items, 4));
    const events = receiver.at("/failures").map((r) => JSON.parse(r.body));
    expect(receiver.at("/failures").every((r) => r.verified)).toBe(true);
    const of = (connectorId: string) => events.filter((e) => e.data.connector_id === connectorId);
    for (const [id, type] of [[refused, "connection_refused"], [wrong, "authentication_failed"]] as const) {
      expect(of(id).map((e) => e.type).sort()).toEqual(["connector.connection_failed", "pull.failed"]);
      const failed = of(id).find((e) => e.type === "pull.failed")!;
      expect(failed.data).toMatchObject({ status: "failed", records_pulled: 0, error: { type } });
      expect(of(id).find((e) => e.type === "connector.connection_failed")!.data).toEqual({ connector_id: id, run_id: failed.data.run_id, error: failed.data.error });
    }
    // The DSN's password never reaches a receiver.
    for (const r of receiver.at("/failures")) expect(r.body).not.toContain("not-the-password");
  }, 60_000);

  it("raises connector.connection_failed for a failed connection test, and nothing for a passing one", async () => {
    const tests = await subscribe("/tests", ["connector.connection_failed"], answer(200));
    const refused = await connector("refused test", `postgresql://sluice:x@127.0.0.1:${await freePort()}/sluice_test`);
    const fine = await connector("fine test", pg.url);
    const failedTest = await h.request("POST", `/api/v1/connectors/${refused}/test`);
    expect(failedTest.body).toMatchObject({ status: "failed", error: { type: "connection_refused" } });
    expect((await h.request("POST", `/api/v1/connectors/${fine}/test`)).body.status).toBe("success");

    await until("one delivery", () => deliveries(tests.id), (items) => settled(items, 1));
    const events = receiver.at("/tests").map((r) => JSON.parse(r.body));
    expect(receiver.at("/tests").every((r) => r.verified)).toBe(true);
    expect(events).toEqual([
      expect.objectContaining({ type: "connector.connection_failed", data: { connector_id: refused, tested_at: failedTest.body.tested_at, error: failedTest.body.error } }),
    ]);
  }, 60_000);

  it("does not hold a pull up while a receiver hangs", async () => {
    const hanging = await subscribe("/hang", ["pull.completed"], (_n, _req, res) => receiver.hang(res));
    const id = await connector("gauges again", pg.url);
    const pull = await h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`);
    const answeredAt = Date.now();
    expect(pull.body.status).toBe("completed");
    // The pull has answered; the delivery it raised has not finished an attempt yet.
    expect((await deliveries(hanging.id))[0]).toMatchObject({ status: "pending", attempt_count: 0 });
    await until("the hanging request", async () => receiver.at("/hang").length, (n) => n >= 1);
    const [logged] = await until("the timed-out attempt", () => deliveries(hanging.id), (items) => items[0]?.attempt_count >= 1);
    const first = logged.attempts[0];
    expect(first).toMatchObject({ status_code: null, error: `the receiver did not answer within ${TIMEOUT_MS} ms` });
    // It ended after the pull had answered: the pull never waited on it.
    expect(Date.parse(first.at) + first.duration_ms).toBeGreaterThan(answeredAt);
    // Another pull of the connector runs while the receiver still hangs.
    expect((await h.request("POST", `/api/v1/connectors/${id}/pull?wait=30`)).body.status).toBe("completed");
  }, 60_000);

  it("raises sync.completed when a metadata sync ends", async () => {
    const syncs = await subscribe("/syncs", ["sync.completed"], answer(200));
    const id = await connector("catalogued", pg.url);
    const started = await h.request("POST", `/api/v1/connectors/${id}/sync`);
    expect(started.status).toBe(202);
    await until("the sync delivery", () => deliveries(syncs.id), (items) => settled(items, 1));
    const [sent] = receiver.at("/syncs");
    expect(sent!.verified).toBe(true);
    expect(JSON.parse(sent!.body)).toEqual({
      type: "sync.completed",
      timestamp: expect.any(String),
      data: expect.objectContaining({ sync_id: started.body.job_id, connector_id: id, connector_name: "catalogued", kind: "discovery", status: "completed", products_created: expect.any(Number) }),
    });
    expect(JSON.parse(sent!.body).data.products_created).toBeGreaterThan(0);
  }, 60_000);

  it("gives a deleted subscription's pending delivery up at its next attempt", async () => {
    const doomed = await subscribe("/deleted", ["sync.completed"], answer(500));
    await h.service.services.events.publisher.emit("default", "sync.completed", { sync_id: "sync_x" });
    await until("the first failed attempt", async () => receiver.at("/deleted").length, (n) => n >= 1);
    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${doomed.id}`)).status).toBe(204);
    const log = await until("the delivery given up", () => h.service.services.events.deliveries.list("default", doomed.id, { limit: 10 }), (page) => page.items[0]?.status === "failed");
    expect(log.items[0]!.attempts.at(-1)).toMatchObject({ status_code: null, error: "the subscription was deleted" });
    expect(receiver.at("/deleted").length).toBe(log.items[0]!.attempt_count - 1);
  });

  it("leaves no signing secret in a log line, a response after its create, or the delivery log", () => {
    for (const secret of receiver.secrets.values()) {
      for (const line of h.logs) expect(line).not.toContain(secret);
      expect(h.responses.filter((text) => text.includes(secret))).toHaveLength(1);
    }
  });
});

/** Local services of a data dir of their own (never the harness's), closed and removed after `run`. */
async function inOwnDataDir(extra: Record<string, string>, run: (start: () => Promise<LocalService>) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-events-"));
  const env = { SLUICE_DATA_DIR: dataDir, PORT: "0", CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(), LOG_LEVEL: "warn", ...eventEnv, ...extra };
  const started: LocalService[] = [];
  try {
    await run(async () => {
      const service = await startLocalService(loadConfig("local", env), createLogger("warn", () => undefined));
      started.push(service);
      return service;
    });
  } finally {
    for (const service of started) await service.close(); // close() is idempotent
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A subscription of the receiver's `path` to `type`, made through the service's own repository. */
async function subscribeOn(service: LocalService, path: string, type: EventType, behaviour: Behaviour) {
  const created = await service.services.events.subscriptions.create("default", { url: receiver.on(path, behaviour), events: [type], description: "" });
  receiver.secrets.set(path, created.secret);
  return created;
}

const logOf = (service: LocalService, subscriptionId: string) => service.services.events.deliveries.list("default", subscriptionId, { limit: 10 });

describe("a restart", () => {
  it("gives an attempt in flight up on close, uncounted, and the next service sends it", async () => {
    await inOwnDataDir({ EVENT_DELIVERY_TIMEOUT_MS: "30000" }, async (start) => {
      let up = false;
      const first = await start();
      const created = await subscribeOn(first, "/restart", "sync.completed", (_n, _req, res) => (up ? res.writeHead(200).end() : receiver.hang(res)));
      await first.services.events.publisher.emit("default", "sync.completed", { sync_id: "sync_1" });
      await until("the first attempt", async () => receiver.at("/restart").length, (n) => n >= 1);
      const closing = Date.now();
      await first.close();
      expect(Date.now() - closing).toBeLessThan(5_000); // not the 30 s the receiver would be given

      up = true;
      const second = await start();
      const log = await until("the delivery by the second service", () => logOf(second, created.id), (page) => page.items[0]?.status === "delivered");
      // The attempt the first service gave up is not counted: one attempt, the one that got through.
      expect(log.items).toHaveLength(1);
      expect(log.items[0]).toMatchObject({ event_type: "sync.completed", attempt_count: 1, attempts: [expect.objectContaining({ attempt: 1, status_code: 200 })] });
      const sent = receiver.at("/restart");
      expect(sent).toHaveLength(2);
      expect(sent.every((r) => r.verified && r.id === log.items[0]!.id)).toBe(true);
    });
  }, 60_000);
});

describe("a claim left by a process that died", () => {
  it("holds its delivery until the claim runs out, then the delivery is sent", async () => {
    await inOwnDataDir({}, async (start) => {
      const service = await start();
      const { events } = service.services;
      const created = await subscribeOn(service, "/orphaned", "pull.completed", answer(200));
      await events.trigger.stop(); // the loop of "the process that died" ends with its claim in place
      const delivery = await events.deliveries.enqueue("default", created.id, "pull.completed", "{}", new Date());
      const heldUntil = Date.now() + 2_000;
      expect(await events.deliveries.claim(delivery, "claim_of_the_dead", new Date(), new Date(heldUntil))).toBeDefined();

      // The next process's loop (one data dir has one process at a time: a fresh loop stands in for it).
      const loop = new LocalDeliveryLoop(events.deliverer, createLogger("warn", () => undefined));
      loop.start();
      try {
        const log = await until("the delivery once the claim ran out", () => logOf(service, created.id), (page) => page.items[0]?.status === "delivered");
        expect(Date.parse(log.items[0]!.attempts[0]!.at)).toBeGreaterThanOrEqual(heldUntil);
        expect(receiver.at("/orphaned")).toHaveLength(1);
      } finally {
        await loop.stop();
      }
    });
  }, 60_000);
});

describe("on AWS, the worker function", () => {
  it("is handed a deliver_events job by the trigger, and attempts what is due when it runs it", async () => {
    await inOwnDataDir({}, async (start) => {
      const service = await start();
      const { events } = service.services;
      await events.trigger.stop(); // nothing delivers in the background: only the worker's pass below
      // The Dispatcher as the Lambda one is used: it is handed the job's event, and runs nothing here.
      const handed: Job<unknown>[] = [];
      const dispatcher: Dispatcher = { dispatch: async (job) => (handed.push(job), {}), drain: async () => undefined };
      const trigger = new WorkerDeliveryTrigger(dispatcher, events.deliverer);
      const created = await subscribeOn(service, "/worker", "pull.completed", answer(204));
      await events.deliveries.enqueue("default", created.id, "pull.completed", JSON.stringify({ type: "pull.completed", timestamp: new Date().toISOString(), data: {} }), new Date());
      await trigger.notify();
      expect(handed.map((job) => job.event)).toEqual([{ kind: "deliver_events" }]);
      expect(receiver.at("/worker")).toEqual([]);

      // The worker function's handler with the event, as the asynchronous invoke (or the sweep) delivers it.
      const worker = (remainingMs: number) => handleWorkerEvent(service.services, handed[0]!.event, { remainingMs: () => remainingMs });
      expect(await worker(600_000)).toEqual({ deliveries_attempted: 1 });
      expect(receiver.at("/worker")).toHaveLength(1);
      expect(receiver.at("/worker")[0]!.verified).toBe(true);
      expect((await logOf(service, created.id)).items[0]).toMatchObject({ status: "delivered", attempt_count: 1 });
      // Nothing left due: a second pass (the next sweep) attempts nothing; nor does one without time left.
      expect(await worker(600_000)).toEqual({ deliveries_attempted: 0 });
      await events.deliveries.enqueue("default", created.id, "pull.completed", "{}", new Date());
      expect(await worker(1_000)).toEqual({ deliveries_attempted: 0 });
    });
  }, 60_000);
});
