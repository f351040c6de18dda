// The MongoDB wire-protocol test server, driven by the real `mongodb` driver. With MONGODB_URI
// set the same assertions run against that server instead, to keep the test server honest.
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Binary,
  BSON,
  Decimal128,
  Long,
  MongoClient,
  MongoServerError,
  MongoServerSelectionError,
  ObjectId,
  type CommandSucceededEvent,
  type Db,
  type Document,
} from "mongodb";
import { startMongoTestServer, type MongoTestServer } from "../support/mongo/server.js";
import { hasCredentials, withoutCredentials, withPassword } from "../support/mongo/uri.js";

const externalUri = process.env.MONGODB_URI;
const DOCS = 1_000;
const BASE = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const BIG = Long.fromString("9007199254740993"); // 2^53 + 1: only an exact int64 survives

function fixture(seq: number): Document {
  return {
    _id: new ObjectId(),
    seq,
    at: new Date(BASE + seq * MINUTE),
    ref: new ObjectId(),
    price: Decimal128.fromString(`${seq}.25`),
    big: BIG.add(seq),
    counter: Long.fromNumber(seq * 10),
    blob: new Binary(Buffer.from([seq % 256, 0xff, 0x00]), 0),
    uuid: new Binary(Buffer.alloc(16, seq % 256), 4),
    name: `item-${String(seq).padStart(4, "0")}`,
    tags: seq % 2 === 0 ? ["even"] : ["odd"],
  };
}

async function freeClosedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe(externalUri ? "MongoDB at MONGODB_URI" : "MongoDB wire-protocol test server", () => {
  let server: MongoTestServer | undefined;
  let uri: string;
  let client: MongoClient;
  let db: Db;
  const succeeded: CommandSucceededEvent[] = [];
  const fixtures = Array.from({ length: DOCS }, (_, seq) => fixture(seq));

  beforeAll(async () => {
    server = externalUri ? undefined : await startMongoTestServer();
    uri = externalUri ?? server!.uri;
    // A short heartbeat so the monitor's OP_MSG hello (after the OP_QUERY handshake) runs too.
    client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 500 });
    client.on("commandSucceeded", (event) => succeeded.push(event));
    await client.connect();
    // A fresh database per run, so a real server's data is never touched.
    db = client.db(`sluice_wire_${process.pid}_${Date.now()}`);
    const inserted = await db.collection("items").insertMany(fixtures);
    expect(inserted.insertedCount).toBe(DOCS);
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await server?.stop();
  });

  it("round-trips Dates, ObjectIds, Decimal128, Long and Binary exactly", async () => {
    const stored = await db.collection("items").find({}, { sort: { seq: 1 }, promoteLongs: false }).toArray();
    // Canonical Extended JSON tells int32 from int64 and keeps every BSON type and key order.
    const canonical = (docs: Document[]) => docs.map((doc) => BSON.EJSON.stringify(doc, { relaxed: false }));
    expect(canonical(stored)).toEqual(canonical(fixtures));
    const seventh = stored[7]!;
    expect(seventh.price).toBeInstanceOf(Decimal128);
    expect(Long.isLong(seventh.big) && seventh.big.toString()).toBe("9007199254741000");
    expect(Buffer.from(seventh.blob.buffer)).toEqual(Buffer.from([7, 0xff, 0x00]));
  });

  it("streams a Date-filtered find through a cursor in batches of 100", async () => {
    const from = succeeded.length;
    const cutoff = new Date(BASE + 49 * MINUTE);
    const seen: number[] = [];
    for await (const doc of db.collection("items").find({ at: { $gt: cutoff } }, { batchSize: 100 })) seen.push(doc.seq);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: DOCS - 50 }, (_, i) => i + 50));

    const events = succeeded.slice(from);
    const batch = (event: CommandSucceededEvent, field: string) => (event.reply as { cursor: Document }).cursor[field] as unknown[];
    const find = events.find((event) => event.commandName === "find");
    expect(batch(find!, "firstBatch")).toHaveLength(100);
    const getMores = events.filter((event) => event.commandName === "getMore");
    expect(getMores.length).toBeGreaterThanOrEqual(9);
    for (const event of getMores) expect(batch(event, "nextBatch").length).toBeLessThanOrEqual(100);
    if (server) expect(server.stats.commands.getMore).toBeGreaterThanOrEqual(9);
  });

  it("matches $gte/$lt/$in/$and/$or/$exists/$regex on numbers, Dates and strings", async () => {
    const items = db.collection("items");
    const count = (filter: Document) => items.countDocuments(filter);
    expect(await count({ seq: { $gte: 10, $lt: 20 } })).toBe(10);
    expect(await count({ at: { $lt: new Date(BASE + 5 * MINUTE) } })).toBe(5);
    expect(await count({ seq: { $in: [1, 2, 3, 5000] } })).toBe(3);
    expect(await count({ $and: [{ tags: "even" }, { seq: { $lt: 10 } }] })).toBe(5);
    expect(await count({ $or: [{ seq: 0 }, { name: "item-0999" }] })).toBe(2);
    expect(await count({ missing: { $exists: true } })).toBe(0);
    expect(await count({ name: { $regex: "^item-00[0-4]" } })).toBe(50);
    expect(await count({ _id: fixtures[3]!._id })).toBe(1);
    expect(await items.estimatedDocumentCount()).toBe(DOCS);
  });

  it("compares int64 values numerically, against Longs and plain numbers", async () => {
    const items = db.collection("items");
    expect(await items.countDocuments({ counter: { $gte: 9950 } })).toBe(5);
    const next = await items.find({ counter: { $gte: Long.fromNumber(90) } }, { sort: { counter: 1 }, limit: 3 }).toArray();
    expect(next.map((doc) => doc.seq)).toEqual([9, 10, 11]);
  });

  it("sorts, skips, limits and projects", async () => {
    const page = await db
      .collection("items")
      .find({ tags: "odd" }, { sort: { at: -1 }, skip: 2, limit: 3, projection: { seq: 1, price: 1, _id: 0 } })
      .toArray();
    expect(page.map((doc) => doc.seq)).toEqual([995, 993, 991]);
    expect(Object.keys(page[0]!).sort()).toEqual(["price", "seq"]);
    expect(page[0]!.price.toString()).toBe("995.25");
  });

  it("updates with $set, multi and upsert, and deletes", async () => {
    const scratch = db.collection("scratch");
    await scratch.insertMany([{ k: 1, v: "a" }, { k: 2, v: "b" }, { k: 3, v: "b" }]);
    const one = await scratch.updateOne({ k: 1 }, { $set: { v: "z", at: new Date(BASE) } });
    expect([one.matchedCount, one.modifiedCount]).toEqual([1, 1]);
    const many = await scratch.updateMany({ v: "b" }, { $set: { v: "c" } });
    expect([many.matchedCount, many.modifiedCount]).toEqual([2, 2]);
    const unchanged = await scratch.updateOne({ k: 2 }, { $set: { v: "c" } });
    expect([unchanged.matchedCount, unchanged.modifiedCount]).toEqual([1, 0]);
    const upsert = await scratch.updateOne({ k: 4 }, { $set: { v: "new" } }, { upsert: true });
    expect(upsert.upsertedCount).toBe(1);
    expect(upsert.upsertedId).toBeInstanceOf(ObjectId);
    expect(await scratch.findOne({ k: 4 }, { projection: { _id: 0 } })).toEqual({ k: 4, v: "new" });
    const seeded = { $set: { v: "x" }, $setOnInsert: { created: true } };
    await scratch.updateOne({ k: 5 }, seeded, { upsert: true });
    await scratch.updateOne({ k: 5 }, { ...seeded, $setOnInsert: { created: false } }, { upsert: true });
    expect(await scratch.findOne({ k: 5 }, { projection: { _id: 0 } })).toEqual({ k: 5, v: "x", created: true });
    await scratch.replaceOne({ k: 3 }, { k: 3, replaced: true });
    expect(await scratch.findOne({ k: 3 }, { projection: { _id: 0 } })).toEqual({ k: 3, replaced: true });

    expect((await scratch.deleteOne({ v: "c" })).deletedCount).toBe(1);
    expect((await scratch.deleteMany({})).deletedCount).toBe(4);
    expect(await scratch.countDocuments()).toBe(0);
  });

  it("rejects a duplicate _id with E11000", async () => {
    const dupes = db.collection("dupes");
    const _id = new ObjectId();
    await dupes.insertOne({ _id });
    await expect(dupes.insertOne({ _id })).rejects.toMatchObject({ code: 11000 });
  });

  it("lists collections and databases", async () => {
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["items", "scratch"]));
    const [items] = await db.listCollections({ name: "items" }).toArray();
    expect(items).toMatchObject({ name: "items", type: "collection" });
    const { databases } = await client.db("admin").admin().listDatabases();
    const ours = databases.find((entry) => entry.name === db.databaseName);
    expect(ours?.sizeOnDisk).toBeGreaterThan(0);
    expect(await db.collection("items").listIndexes().toArray()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "_id_", key: { _id: 1 } })]),
    );
  });

  it("samples with an aggregate pipeline", async () => {
    const sample = await db
      .collection("items")
      .aggregate([{ $match: { seq: { $gte: 100 } } }, { $sample: { size: 10 } }, { $project: { seq: 1 } }])
      .toArray();
    expect(sample).toHaveLength(10);
    expect(new Set(sample.map((doc) => doc.seq)).size).toBe(10);
    for (const doc of sample) expect(doc.seq).toBeGreaterThanOrEqual(100);
  });

  it("kills a cursor closed before it is drained", async () => {
    const cursor = db.collection("items").find({}, { batchSize: 10 });
    await cursor.next();
    const from = succeeded.length;
    await cursor.close();
    const killed = succeeded.slice(from).find((event) => event.commandName === "killCursors");
    expect((killed?.reply as Document | undefined)?.cursorsKilled).toHaveLength(1);
  });

  it("reports a server version through buildInfo", async () => {
    const info = await client.db("admin").command({ buildInfo: 1 });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    if (server) expect(info.version).toBe("7.0.0-sluice-test");
  });

  it("answers unknown commands and cursors with the server's error codes", async () => {
    await expect(db.command({ noSuchCommandHere: 1 })).rejects.toMatchObject({ code: 59, codeName: "CommandNotFound" });
    const getMore = db.command({ getMore: Long.fromNumber(424242), collection: "items" });
    await expect(getMore).rejects.toMatchObject({ code: 43, codeName: "CursorNotFound" });
  });

  it.skipIf(!!externalUri && !hasCredentials(externalUri))("fails to connect with a wrong password (code 18)", async () => {
    const wrong = new MongoClient(withPassword(uri, "definitely-not-the-password"), { serverSelectionTimeoutMS: 5_000 });
    try {
      const error = await wrong.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error).toMatchObject({ code: 18, codeName: "AuthenticationFailed" });
    } finally {
      await wrong.close();
    }
  });

  it.skipIf(!!externalUri && !hasCredentials(externalUri)).each(["SCRAM-SHA-1", "SCRAM-SHA-256"])("authenticates with %s", async (mechanism) => {
    const separator = uri.includes("?") ? "&" : "?";
    const explicit = new MongoClient(`${uri}${separator}authMechanism=${mechanism}`, { serverSelectionTimeoutMS: 5_000 });
    try {
      expect(await explicit.db(db.databaseName).collection("items").countDocuments({ seq: { $lt: 3 } })).toBe(3);
    } finally {
      await explicit.close();
    }
  });

  it.skipIf(!!externalUri && !hasCredentials(externalUri))("refuses data commands on an unauthenticated connection", async () => {
    const anonymous = new MongoClient(withoutCredentials(uri), { serverSelectionTimeoutMS: 5_000 });
    try {
      await anonymous.connect();
      const find = anonymous.db(db.databaseName).collection("items").findOne({});
      await expect(find).rejects.toBeInstanceOf(MongoServerError);
      await expect(anonymous.db(db.databaseName).collection("items").findOne({})).rejects.toMatchObject({ code: 13 });
    } finally {
      await anonymous.close();
    }
  });

  it("fails server selection quickly when nothing listens", async () => {
    const port = await freeClosedPort();
    const nowhere = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 2_000 });
    const started = performance.now();
    try {
      await expect(nowhere.connect()).rejects.toBeInstanceOf(MongoServerSelectionError);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await nowhere.close();
    }
  });
});

describe.skipIf(!!externalUri)("MongoDB test server lifecycle", () => {
  it("stop() closes the listener and the driver's open sockets", async () => {
    const server = await startMongoTestServer({ user: "other", password: "p@ss:word/with?odd#chars" });
    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 1_000 });
    try {
      await client.db("admin").command({ ping: 1 });
      await server.stop();
      await expect(client.db("admin").command({ ping: 1 })).rejects.toThrow();
    } finally {
      await client.close();
    }
  });
});
