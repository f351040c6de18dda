// A metadata sync in AWS: the HTTP function begins it and invokes the worker asynchronously with
// kind "sync"; the worker handler runs it from that event. A failed invoke fails the sync record
// and frees the lease. A sync whose process stopped is settled failed once its lease ran out; a
// repeated worker event does not run a sync again.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CatalogSync, syncLeaseName } from "../../../lib/catalog/syncRunner.js";
import { LambdaDispatcher } from "../../../lib/dispatch/lambda.js";
import { handleWorkerEvent } from "../../../lib/dispatch/worker.js";
import { openSource } from "../../../lib/sources/index.js";
import { syncAndWait } from "../../support/catalogSuite.js";
import { startHarness, type Harness } from "../../support/harness.js";
import { postgresWith } from "../../support/postgresWith.js";
import type { PostgresServer } from "../../support/servers/postgres.js";

let h: Harness;
let server: PostgresServer;
let id: string;

beforeAll(async () => {
  server = await postgresWith(["DROP TABLE IF EXISTS worker_catalog", "CREATE TABLE worker_catalog (id integer PRIMARY KEY)"]);
  h = await startHarness();
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "worker sync", connector_type: "postgresql", collection: "w", record_type: "row", connection_config: { dsn: server.url }, query: "SELECT 1" },
  });
  id = created.body.id;
}, 180_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

it("hands a begun sync to the worker by asynchronous invoke, and the worker runs it from the event", async () => {
  const lambda = mockClient(LambdaClient);
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  try {
    const { catalog } = h.service.services;
    const dispatcher = new LambdaDispatcher(new LambdaClient({ region: "eu-west-1" }), "arn:aws:lambda:eu-west-1:1:function:worker");
    const begun = await catalog.sync.begin("default", id);
    expect(await dispatcher.dispatch(catalog.sync.job(begun))).toEqual({});
    const sent = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ FunctionName: "arn:aws:lambda:eu-west-1:1:function:worker", InvocationType: "Event" });
    const event = JSON.parse(Buffer.from(sent.Payload as Uint8Array).toString());
    expect(event).toEqual({ kind: "sync", tenant: "default", connector_id: id, sync_id: begun.record.id, lease_expires_at: begun.lease.expiresAt });
    expect((await catalog.syncs.get("default", begun.record.id)).status).toBe("running");
    expect(await handleWorkerEvent(h.service.services, event)).toEqual({ sync_id: begun.record.id, status: "completed" });
    const entries = (await h.request("GET", `/api/v1/catalog?connector_id=${id}`)).body.items;
    expect(entries.map((e: any) => e.name)).toContain("worker_catalog");
    expect(await h.service.services.leases.isHeld(syncLeaseName("default", id))).toBe(false);
  } finally {
    lambda.restore();
  }
});

it("a failed invoke fails the sync record and frees the lease", async () => {
  const lambda = mockClient(LambdaClient);
  lambda.on(InvokeCommand).rejects(new Error("AccessDeniedException"));
  try {
    const { catalog, leases } = h.service.services;
    const dispatcher = new LambdaDispatcher(new LambdaClient({ region: "eu-west-1" }), "arn:worker");
    const begun = await catalog.sync.begin("default", id);
    await expect(dispatcher.dispatch(catalog.sync.job(begun))).rejects.toThrow(/sync worker could not be started/);
    expect(await catalog.syncs.get("default", begun.record.id)).toMatchObject({ status: "failed", error: { type: "internal_error" } });
    expect(await leases.isHeld(syncLeaseName("default", id))).toBe(false);
  } finally {
    lambda.restore();
  }
});

/** What a stopped process leaves behind once the lease's time is up. */
async function expireLease(name: string): Promise<void> {
  const { db, config } = h.service.services;
  await db.send(
    new UpdateCommand({
      TableName: config.controlTable,
      Key: { pk: `LEASE#${name}`, sk: "LEASE" },
      UpdateExpression: "SET lease_expires_at = :past",
      ExpressionAttributeValues: { ":past": Date.now() - 1000 },
    }),
  );
}

it("a sync whose process stopped is settled failed once its lease expired, and the next sync runs", async () => {
  const { catalog } = h.service.services;
  const live = await catalog.sync.begin("default", id);
  // Still holding its lease: running is the truth.
  expect((await h.request("GET", `/api/v1/sync-history/${live.record.id}`)).body.status).toBe("running");
  // The process stops here: nothing runs the sync, and its lease runs out.
  await expireLease(syncLeaseName("default", id));
  const read = await h.request("GET", `/api/v1/sync-history/${live.record.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ status: "failed", completed_at: expect.any(String), error: { type: "lease_lost", message: expect.stringMatching(/interrupted/) } });
  expect(await catalog.syncs.get("default", live.record.id)).toMatchObject({ status: "failed", error: { type: "lease_lost" } });
  const history = await h.request("GET", `/api/v1/sync-history?connector_id=${id}`);
  expect(history.body.items.filter((s: any) => s.status === "running")).toEqual([]);
  expect((await syncAndWait(h, id)).status).toBe("completed");

  // Listed before it was read one by one: the list settles it as well.
  const other = await catalog.sync.begin("default", id);
  await expireLease(syncLeaseName("default", id));
  const listed = (await h.request("GET", `/api/v1/sync-history?connector_id=${id}`)).body.items.find((s: any) => s.id === other.record.id);
  expect(listed).toMatchObject({ status: "failed", error: { type: "lease_lost" } });
  expect((await syncAndWait(h, id)).status).toBe("completed");
});

it("a repeated worker event (Lambda delivers an asynchronous event again) does not run the sync twice", async () => {
  const { catalog, leases } = h.service.services;
  const begun = await catalog.sync.begin("default", id);
  const event = catalog.sync.job(begun).event;
  expect(await handleWorkerEvent(h.service.services, event)).toEqual({ sync_id: begun.record.id, status: "completed" });
  const done = await catalog.syncs.get("default", begun.record.id);
  // Again, once free and once while another sync holds the connector's lease.
  expect(await handleWorkerEvent(h.service.services, event)).toEqual({ sync_id: begun.record.id, status: "completed" });
  const next = await catalog.sync.begin("default", id);
  expect(await handleWorkerEvent(h.service.services, event)).toEqual({ sync_id: begun.record.id, status: "completed" });
  expect(await catalog.syncs.get("default", begun.record.id)).toEqual(done);
  expect(await leases.lastHolder(syncLeaseName("default", id))).toMatchObject({ owner: next.record.id });
  expect((await catalog.sync.job(next).run()).status).toBe("completed");
});

it("a connector deleted while its sync runs keeps every entry marked removed", async () => {
  const services = h.service.services;
  const created = await h.request("POST", "/api/v1/connectors", {
    body: { name: "deleted mid-sync", connector_type: "postgresql", collection: "w", record_type: "row", connection_config: { dsn: server.url }, query: "SELECT 1" },
  });
  const doomed = created.body.id;
  let discovered!: () => void;
  const discovering = new Promise<void>((resolve) => (discovered = resolve));
  let resume!: () => void;
  const deleted = new Promise<void>((resolve) => (resume = resolve));
  // The real sync, held between discovery and its catalog writes while the connector is deleted.
  const sync = new CatalogSync({
    ...services, entries: services.catalog.entries, syncs: services.catalog.syncs, sampleSize: 10,
    openSource: async (type, config) => {
      const source = await openSource(type, config);
      const discover = source.discover.bind(source);
      source.discover = async (options) => {
        const found = await discover(options);
        discovered();
        await deleted;
        return found;
      };
      return source;
    },
  });
  const run = sync.job(await sync.begin("default", doomed)).run();
  await discovering;
  expect((await h.request("DELETE", `/api/v1/connectors/${doomed}`)).status).toBe(204);
  resume();
  expect(await run).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/not found/) } });
  const entries = await services.catalog.entries.allOf("default", doomed, "discovery");
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.filter((entry) => !entry.removed)).toEqual([]);
});

it("a discovery that outlasts statement_timeout_seconds fails as a timeout, closes the source and frees the lease", async () => {
  const services = h.service.services;
  const created = await h.request("POST", "/api/v1/connectors", {
    body: {
      name: "stalled", connector_type: "postgresql", collection: "w", record_type: "row",
      connection_config: { dsn: server.url, statement_timeout_seconds: 1 }, query: "SELECT 1",
    },
  });
  let closed = false;
  // The real source, on a server that stops answering once connected: discovery never returns.
  const sync = new CatalogSync({
    ...services, entries: services.catalog.entries, syncs: services.catalog.syncs, sampleSize: 10,
    openSource: async (type, config) => {
      const source = await openSource(type, config);
      const close = source.close.bind(source);
      source.discover = () => new Promise(() => undefined);
      source.close = async () => {
        closed = true;
        await close();
      };
      return source;
    },
  });
  const started = Date.now();
  const record = await sync.job(await sync.begin("default", created.body.id)).run();
  expect(record).toMatchObject({ status: "failed", error: { type: "timeout", message: expect.stringMatching(/discovery ran longer than 1 s/) } });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(closed).toBe(true);
  expect(await services.leases.isHeld(syncLeaseName("default", created.body.id))).toBe(false);
});
