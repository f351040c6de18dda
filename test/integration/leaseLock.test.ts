// The lease lock (one pull per connector at a time) on dynalite and on DynamoDB Local, and its
// keep-alive against a stub client that fails renewals.
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConflictError } from "../../lib/errors.js";
import { LeaseHeldError, LeaseLostError } from "../../lib/store/errors.js";
import { LeaseLock, type Lease } from "../../lib/store/leaseLock.js";
import { dynamoClientConfig, dynamoEngines, useDynamoEngine } from "../support/engines.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(dynamoEngines)("lease lock on $name", (engine) => {
  let db: DynamoDBDocumentClient;
  const tables = { control: `control-lease-${engine.name}`, records: `records-lease-${engine.name}` };
  const raw = async (name: string) =>
    (await db.send(new GetCommand({ TableName: tables.control, Key: { pk: `LEASE#${name}`, sk: "LEASE" }, ConsistentRead: true }))).Item;

  const engineHandle = useDynamoEngine(engine, tables);
  beforeAll(() => {
    db = engineHandle.db;
  });

  it("acquires a free lease and stores owner, expiry and TTL cleanup time", async () => {
    const now = 1_700_000_000_123;
    const lease = await new LeaseLock(db, tables.control, { now: () => now }).acquire("con_a", "run_1");
    expect(lease).toEqual({ name: "con_a", owner: "run_1", expiresAt: now + 300_000 });
    expect(await raw("con_a")).toEqual({
      pk: "LEASE#con_a",
      sk: "LEASE",
      owner: "run_1",
      lease_expires_at: now + 300_000,
      expires_at: Math.ceil((now + 300_000) / 1000) + 86_400,
    });
  });

  it("refuses a held lease to another owner, naming the holder", async () => {
    const lock = new LeaseLock(db, tables.control);
    const lease = await lock.acquire("con_b", "run_1");
    const refused = lock.acquire("con_b", "run_2");
    await expect(refused).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toMatchObject({ holder: { owner: "run_1", expiresAt: lease.expiresAt } });
  });

  it("is released only by its owner, and can then be acquired again", async () => {
    const lock = new LeaseLock(db, tables.control);
    const lease = await lock.acquire("con_c", "run_1");
    await lock.release({ ...lease, owner: "run_2" });
    await expect(lock.acquire("con_c", "run_2")).rejects.toBeInstanceOf(LeaseHeldError);
    expect((await raw("con_c"))?.owner).toBe("run_1");

    await lock.release(lease);
    expect(await raw("con_c")).toBeUndefined();
    expect((await lock.acquire("con_c", "run_2")).owner).toBe("run_2");
  });

  it("lets an expired lease be taken over; the old owner then cannot renew or release it", async () => {
    let clock = 1_700_000_000_000;
    const lock = new LeaseLock(db, tables.control, { ttlMs: 10_000, now: () => clock });
    const old = await lock.acquire("con_d", "run_1");
    clock += 10_000; // exactly at expiry it is still held
    await expect(lock.acquire("con_d", "run_2")).rejects.toBeInstanceOf(LeaseHeldError);

    clock += 1;
    const taken = await lock.acquire("con_d", "run_2");
    expect(taken).toEqual({ name: "con_d", owner: "run_2", expiresAt: clock + 10_000 });
    await expect(lock.renew(old)).rejects.toBeInstanceOf(LeaseLostError);
    await lock.release(old);
    expect(await raw("con_d")).toMatchObject({ owner: "run_2", lease_expires_at: taken.expiresAt });
  });

  it("renews by its owner: the expiry moves from now, and the lease stays held past the old one", async () => {
    let clock = 1_700_000_000_000;
    const lock = new LeaseLock(db, tables.control, { ttlMs: 10_000, now: () => clock });
    const lease = await lock.acquire("con_e", "run_1");
    clock += 8_000;
    const renewed = await lock.renew(lease);
    expect(renewed).toEqual({ ...lease, expiresAt: clock + 10_000 });
    expect(await raw("con_e")).toMatchObject({ lease_expires_at: clock + 10_000, expires_at: Math.ceil((clock + 10_000) / 1000) + 86_400 });
    clock += 5_000; // past the first expiry, within the renewed one
    await expect(lock.acquire("con_e", "run_2")).rejects.toBeInstanceOf(LeaseHeldError);
    await lock.release({ name: "con_e", owner: "run_1", expiresAt: 0 });
    await expect(lock.renew(renewed)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("keeps a short lease alive while it runs, and lets it lapse after stop()", async () => {
    const lock = new LeaseLock(db, tables.control, { ttlMs: 300 });
    const lease = await lock.acquire("con_f", "run_1");
    const onLost = vi.fn();
    const alive = lock.keepAlive(lease, onLost);
    const started = Date.now();
    try {
      while (Date.now() - started < 900) {
        await expect(lock.acquire("con_f", "run_2")).rejects.toBeInstanceOf(LeaseHeldError);
        await sleep(40);
      }
    } finally {
      await alive.stop();
    }
    expect(onLost).not.toHaveBeenCalled();
    expect((await raw("con_f"))?.lease_expires_at).toBeGreaterThan(lease.expiresAt);

    await sleep(450);
    expect((await lock.acquire("con_f", "run_2")).owner).toBe("run_2");
    expect(onLost).not.toHaveBeenCalled();
  });

  it("calls onLost once when a renewal finds another owner", async () => {
    const lock = new LeaseLock(db, tables.control, { ttlMs: 300 });
    const lease = await lock.acquire("con_g", "run_1");
    const onLost = vi.fn();
    const alive = lock.keepAlive(lease, onLost);
    await db.send(
      new PutCommand({ TableName: tables.control, Item: { pk: "LEASE#con_g", sk: "LEASE", owner: "run_2", lease_expires_at: Date.now() + 60_000 } }),
    );
    await vi.waitFor(() => expect(onLost).toHaveBeenCalledTimes(1), { timeout: 2_000 });
    expect(onLost.mock.calls[0]![0]).toBeInstanceOf(LeaseLostError);
    await sleep(400);
    await alive.stop();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect((await raw("con_g"))?.owner).toBe("run_2");
  });

  it("grants one of 20 concurrent acquires", async () => {
    const lock = new LeaseLock(db, tables.control);
    const owners = Array.from({ length: 20 }, (_, i) => `run_${i}`);
    const results = await Promise.allSettled(owners.map((owner) => lock.acquire("con_h", owner)));
    const won = results.filter((r): r is PromiseFulfilledResult<Lease> => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const winner = won[0]!.value.owner;
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toBeInstanceOf(LeaseHeldError);
        expect((result.reason as LeaseHeldError).holder.owner).toBe(winner);
      }
    }
    expect((await raw("con_h"))?.owner).toBe(winner);
  });
});

describe("lease lock against a stub client", () => {
  let db: DynamoDBDocumentClient;
  let stub: ReturnType<typeof mockClient>;
  const lease = (): Lease => ({ name: "con_s", owner: "run_1", expiresAt: Date.now() + 300 });

  beforeAll(() => {
    db = DynamoDBDocumentClient.from(new DynamoDBClient(dynamoClientConfig("http://127.0.0.1:9")));
  });
  afterEach(() => stub?.restore());

  it("puts again when the lease was released between a failed put and the read of its holder", async () => {
    stub = mockClient(db);
    stub
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }))
      .resolves({});
    stub.on(GetCommand).resolves({});
    expect(await new LeaseLock(db, "control", { now: () => 1_000 }).acquire("con_r", "run_1")).toEqual({ name: "con_r", owner: "run_1", expiresAt: 301_000 });
    expect(stub.commandCalls(PutCommand)).toHaveLength(2);
  });

  it("rides out a failed renewal while the lease has not expired", async () => {
    stub = mockClient(db);
    stub.on(UpdateCommand).rejectsOnce(new Error("socket hang up")).resolves({});
    const onLost = vi.fn();
    const alive = new LeaseLock(db, "control", { ttlMs: 300 }).keepAlive(lease(), onLost);
    await sleep(700);
    await alive.stop();
    expect(onLost).not.toHaveBeenCalled();
    expect(stub.commandCalls(UpdateCommand).length).toBeGreaterThanOrEqual(3);
  });

  it("calls onLost once when renewals keep failing until the lease has expired", async () => {
    stub = mockClient(db);
    const failure = new Error("socket hang up");
    stub.on(UpdateCommand).rejects(failure);
    const onLost = vi.fn();
    const started = Date.now();
    const alive = new LeaseLock(db, "control", { ttlMs: 300 }).keepAlive(lease(), onLost);
    await vi.waitFor(() => expect(onLost).toHaveBeenCalledTimes(1), { timeout: 2_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(onLost.mock.calls[0]![0]).toBe(failure);
    const calls = stub.commandCalls(UpdateCommand).length;
    await sleep(400);
    await alive.stop();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(stub.commandCalls(UpdateCommand)).toHaveLength(calls);
  });
});
