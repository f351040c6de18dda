// Key-ordered reads (keyOrder, read with a range, split, estimate) against real servers: the same
// checks on PostgreSQL, MariaDB and MongoDB, over integer keys with gaps and NULLs, text keys,
// int8 keys across 2^53 and ObjectIds. Every range a split gives, read in turn, must give back
// exactly the rows of one ordered read.
import { randomBytes } from "node:crypto";
import { MongoClient, ObjectId } from "mongodb";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyOrder, KeyRange, ReadParams, Row, Source } from "../../../lib/sources/contract.js";
import { SourceError } from "../../../lib/sources/errors.js";
import { MongoSource } from "../../../lib/sources/mongodb.js";
import { MySqlSource } from "../../../lib/sources/mysql.js";
import { PostgresSource } from "../../../lib/sources/postgres.js";
import { startMongoTestServer } from "../../support/mongo/server.js";
import { startMariaDb } from "../../support/servers/mariadb.js";
import { startPostgres } from "../../support/servers/postgres.js";

const BATCH = 200;
const OPTIONS = { connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 };
const ALL: ReadParams = { last_pull: null };
const YESTERDAY: ReadParams = { last_pull: new Date(Date.now() - 86_400_000) };
const HOUR = 3_600_000;

/** A seeded row: its key as text ("null" for none), a unique name, and whether it is newer than YESTERDAY. */
interface Seed {
  key: string;
  name: string;
  recent: boolean;
}

interface Dataset {
  label: string;
  table: string;
  query: string;
  /** Seeds in key order, NULL keys last. */
  seeds: Seed[];
  /** Integer keys: split(n) must give n ranges. */
  integer: boolean;
}

// Keys with uneven gaps, negative ones too, and five NULL keys. The rows newer than YESTERDAY
// hold the upper part of the keys only, so a split that ignored :last_pull would leave ranges empty.
const intSeeds: Seed[] = [
  ...Array.from({ length: 3000 }, (_, i) => ({ key: String((i + 1) * 3 - ((i + 1) % 4) - 1000), name: `row-${i + 1}`, recent: i >= 1200 && i % 2 === 0 })),
  ...Array.from({ length: 5 }, (_, i) => ({ key: "null", name: `null-${i + 1}`, recent: true })),
];
const textSeeds: Seed[] = Array.from({ length: 600 }, (_, i) => ({ key: `k${String(i * 7).padStart(5, "0")}`, name: `text-${i}`, recent: true }));
// Consecutive keys across 2^53, where a comparison through doubles would merge neighbours.
const BIG_BASE = 9007199254740000n;
const bigSeeds: Seed[] = Array.from({ length: 2000 }, (_, i) => ({ key: String(BIG_BASE + BigInt(i)), name: `big-${i}`, recent: true }));
// ObjectIds as one process makes them over a few hours: seconds, one random part, a counter.
const OID_PROCESS = randomBytes(5).toString("hex");
const oidSeeds: Seed[] = Array.from({ length: 1500 }, (_, i) => ({
  key: (0x6500_0000 + Math.floor(i / 3) * 50).toString(16) + OID_PROCESS + (0x10_0000 + i * 3).toString(16).padStart(6, "0"),
  name: `oid-${i}`,
  recent: true,
}));

const keysOf = (seeds: Seed[]) => seeds.map((seed) => seed.key);
/** Seeds in an order unlike the key order, so rows stored in insertion order come back unsorted. */
const shuffled = (seeds: Seed[]) => seeds.map((seed, i) => ({ seed, at: (i * 7919) % seeds.length })).sort((a, b) => a.at - b.at).map(({ seed }) => seed);
const namesOf = (items: { name?: unknown }[]) => items.map((item) => String(item.name)).sort();

interface Engine {
  datasets: Dataset[];
  open(dataset: Dataset): Source;
  keyText(row: Row): string;
  /** Queries over the integer table with keys lo..hi only. */
  between(lo: number, hi: number): string;
  /** Query and column pairs that cannot be read in order of that column. */
  unkeyed: [string, string][];
  /** The order such a plain one-table read falls back to, if any (PostgreSQL: its ctid). */
  unkeyedFallback?: string;
  badQuery: string;
  estimates: boolean;
  /** Checks only this source has a reason for. */
  specific?(): Promise<void>;
  stop(): Promise<void>;
}

async function readRows(source: Source, query: string, params: ReadParams, order: KeyOrder, range: KeyRange = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source.read(query, params, BATCH, { order, range })) {
    expect(batch.length).toBeLessThanOrEqual(BATCH);
    rows.push(...batch);
  }
  return rows;
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function defineKeyOrderSuite(type: string, start: () => Promise<Engine>): void {
  describe(`${type} key-ordered reads against a real server`, () => {
    let engine: Engine;
    const sources: Source[] = [];
    const open = (dataset: Dataset) => {
      const source = engine.open(dataset);
      sources.push(source);
      return source;
    };
    const orderOf = async (source: Source, query: string, params: ReadParams = ALL) => {
      const order = await source.keyOrder!(query, params, "id");
      expect(order).toBeDefined();
      return order!;
    };
    const keys = (rows: Row[]) => rows.map((row) => engine.keyText(row));

    beforeAll(async () => {
      engine = await start();
    }, 180_000);
    afterAll(async () => {
      await Promise.all(sources.map((source) => source.close()));
      await engine?.stop();
    });

    it("an ordered read returns every row exactly once, in key order, NULL keys last; :last_pull stays bound", async () => {
      for (const dataset of engine.datasets) {
        const source = open(dataset);
        const rows = await readRows(source, dataset.query, ALL, await orderOf(source, dataset.query));
        expect(keys(rows), dataset.label).toEqual(keysOf(dataset.seeds));
        expect(namesOf(rows), dataset.label).toEqual(namesOf(dataset.seeds));
        const recent = dataset.seeds.filter((seed) => seed.recent);
        const since = await readRows(source, dataset.query, YESTERDAY, await orderOf(source, dataset.query, YESTERDAY));
        expect(keys(since), dataset.label).toEqual(keysOf(recent));
      }
    });

    it("a read from the position of row k returns exactly the rows after it", async () => {
      for (const dataset of engine.datasets) {
        const source = open(dataset);
        const order = await orderOf(source, dataset.query);
        const rows = await readRows(source, dataset.query, ALL, order);
        const keyed = dataset.seeds.filter((seed) => seed.key !== "null").length;
        const picks = [0, 1, 991, 992, 993, Math.floor(rows.length / 2), keyed - 2, keyed - 1].filter((k) => k < keyed);
        for (const k of picks) {
          const position = roundTrip(order.positionOf(rows[k]!));
          const rest = await readRows(source, dataset.query, ALL, order, { after: position });
          expect(keys(rest), `${dataset.label} after row ${k} (${JSON.stringify(position)})`).toEqual(keys(rows.slice(k + 1)));
          expect(namesOf(rest)).toEqual(namesOf(rows.slice(k + 1)));
        }
        const unkeyed = rows.slice(keyed);
        for (const row of unkeyed) expect(order.positionOf(row)).toBeNull();
        const nulls = await readRows(source, dataset.query, ALL, order, { after: null });
        expect(namesOf(nulls), dataset.label).toEqual(namesOf(unkeyed));
      }
    });

    it("split(1..5) gives ranges that, read one after another, return every row exactly once in key order", async () => {
      for (const dataset of engine.datasets) {
        const source = open(dataset);
        const order = await orderOf(source, dataset.query);
        for (let parts = 1; parts <= 5; parts++) {
          const ranges = roundTrip(await order.split(parts));
          const label = `${dataset.label}, split(${parts}): ${JSON.stringify(ranges)}`;
          expect(ranges.length, label).toBe(dataset.integer ? parts : 1);
          expect(ranges[0]!.after, label).toBeUndefined();
          expect(ranges.at(-1)!.upTo, label).toBeUndefined();
          const read: Row[] = [];
          for (const range of ranges) {
            const rows = await readRows(source, dataset.query, ALL, order, range);
            expect(rows.length, label).toBeGreaterThan(0);
            read.push(...rows);
          }
          expect(keys(read), label).toEqual(keysOf(dataset.seeds));
          expect(namesOf(read), label).toEqual(namesOf(dataset.seeds));
        }
      }
    });

    it("ranges read concurrently over separate connections cover every row once", async () => {
      const dataset = engine.datasets[0]!;
      const ranges = roundTrip(await (await orderOf(open(dataset), dataset.query, YESTERDAY)).split(4));
      expect(ranges).toHaveLength(4);
      const parts = await Promise.all(
        ranges.map(async (range) => {
          const source = open(dataset);
          return readRows(source, dataset.query, YESTERDAY, await orderOf(source, dataset.query, YESTERDAY), range);
        }),
      );
      for (const part of parts) expect(part.length, JSON.stringify(ranges)).toBeGreaterThan(0);
      expect(keys(parts.flat())).toEqual(keysOf(dataset.seeds.filter((seed) => seed.recent)));
    });

    it("keys closer together than the parts give fewer ranges, never two on one boundary", async () => {
      const dataset = engine.datasets[0]!;
      const source = open(dataset);
      // The integer table holds -998, -996, -994 and then -988 in this span.
      for (const [lo, hi, most] of [[-998, -996, 3], [-998, -994, 5], [-996, -995, 1], [-990, -989, 1]] as const) {
        const query = engine.between(lo, hi);
        const order = await orderOf(source, query);
        const ranges = roundTrip(await order.split(5));
        const label = `${lo}..${hi}: ${JSON.stringify(ranges)}`;
        expect(ranges.length, label).toBeLessThanOrEqual(most);
        const boundaries = ranges.slice(1).map((range) => Number(range.after));
        for (let i = 1; i < boundaries.length; i++) expect(boundaries[i]!, label).toBeGreaterThan(boundaries[i - 1]!);
        const read: Row[] = [];
        for (const range of ranges) read.push(...(await readRows(source, query, ALL, order, range)));
        expect(keys(read), label).toEqual(keysOf(intSeeds.filter((seed) => seed.key !== "null" && +seed.key >= lo && +seed.key <= hi)));
      }
    });

    it("text keys split as one range; a column outside the result has no key order of its own", async () => {
      const text = engine.datasets.find((dataset) => dataset.label === "text")!;
      const source = open(text);
      expect(await (await orderOf(source, text.query)).split(3)).toEqual([{}]);
      for (const [query, column] of engine.unkeyed) expect((await source.keyOrder!(query, ALL, column))?.column, `${query} by ${column}`).toBe(engine.unkeyedFallback);
    });

    it("estimate is the planner's guess, where it has one", async () => {
      const dataset = engine.datasets[0]!;
      const estimate = await (await orderOf(open(dataset), dataset.query)).estimate();
      if (engine.estimates) expect(estimate).toBeGreaterThan(0);
      else expect(estimate).toBeUndefined();
    });

    it("a bad query or position fails with a typed query_error", async () => {
      const dataset = engine.datasets[0]!;
      const source = open(dataset);
      const queryError = expect.objectContaining({ name: "SourceError", type: "query_error" });
      const keyOrder = source.keyOrder!(engine.badQuery, ALL, "id");
      await expect(keyOrder).rejects.toBeInstanceOf(SourceError);
      await expect(keyOrder).rejects.toEqual(queryError);
      const order = await orderOf(source, dataset.query);
      await expect(readRows(source, engine.badQuery, ALL, order, { after: 5 })).rejects.toEqual(queryError);
      await expect(readRows(source, dataset.query, ALL, order, { after: "not-a-key-of-this-type" })).rejects.toEqual(queryError);
    });

    it("source-specific checks", async () => {
      await engine.specific?.();
    });
  });
}

/** Rows as the SQL tables hold them: key text (NULL for "null"), name, updated_at. */
const sqlRows = (seeds: Seed[]) => seeds.map((seed) => [seed.key === "null" ? null : seed.key, seed.name, new Date(Date.now() - (seed.recent ? HOUR : 2 * 86_400_000))]);

const sqlDatasets = (queryOf: (table: string) => string): Dataset[] => [
  { label: "integer", table: "ko_int", query: queryOf("ko_int"), seeds: intSeeds, integer: true },
  { label: "text", table: "ko_text", query: queryOf("ko_text"), seeds: textSeeds, integer: false },
  { label: "int8 across 2^53", table: "ko_big", query: queryOf("ko_big"), seeds: bigSeeds, integer: true },
];

/** What PostgreSQL and MariaDB share: the same tables, queries and expectations. */
function sqlEngine(datasets: Dataset[], open: () => Source, unkeyed: [string, string][], stop: () => Promise<void>): Engine {
  return {
    datasets,
    open,
    keyText: (row) => String(row.id),
    between: (lo, hi) => `SELECT id, name FROM ko_int WHERE id BETWEEN ${lo} AND ${hi} AND updated_at > :last_pull`,
    unkeyed: [
      ["SELECT name, updated_at FROM ko_int WHERE updated_at > :last_pull", "id"],
      // A timestamp key would come back rounded to milliseconds.
      ["SELECT id, name, updated_at FROM ko_int", "updated_at"],
      ["SELECT id, name, id AS id FROM ko_int", "id"],
      ...unkeyed,
    ],
    badQuery: "SELECT id, name FROM no_such_table WHERE updated_at > :last_pull",
    estimates: true,
    stop,
  };
}

defineKeyOrderSuite("postgresql", async () => {
  const server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  for (const [table, keyType] of [["ko_int", "integer"], ["ko_text", "text"], ["ko_big", "bigint"]] as const) {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`CREATE TABLE ${table} (id ${keyType}, name text NOT NULL, updated_at timestamptz NOT NULL)`);
    await client.query(`CREATE INDEX ON ${table} (id)`);
  }
  const datasets = sqlDatasets((table) => `SELECT id, name, updated_at FROM ${table} WHERE updated_at > :last_pull -- a trailing comment;`);
  for (const { table, seeds } of datasets) {
    const columns = sqlRows(shuffled(seeds));
    await client.query(`INSERT INTO ${table} SELECT k::${table === "ko_text" ? "text" : "bigint"}, n, u FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS s(k, n, u)`, [
      columns.map((row) => row[0]),
      columns.map((row) => row[1]),
      columns.map((row) => row[2]),
    ]);
    await client.query(`ANALYZE ${table}`);
  }
  const config = { dsn: server.url };
  // Unquoted names fold to lower case: "ID" is no column of the result.
  const engine = sqlEngine(datasets, () => new PostgresSource(config, OPTIONS), [["SELECT id, name, updated_at FROM ko_int", "ID"]], async () => {
    await client.end();
    await server.stop();
  });
  return { ...engine, unkeyedFallback: "ctid" };
});

defineKeyOrderSuite("mysql", async () => {
  const server = await startMariaDb();
  const db = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database, timezone: "Z" });
  for (const [table, keyType] of [["ko_int", "INT"], ["ko_text", "VARCHAR(20)"], ["ko_big", "BIGINT"]] as const) {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.query(`CREATE TABLE ${table} (id ${keyType} NULL, name VARCHAR(40) NOT NULL, updated_at DATETIME(3) NOT NULL, KEY (id))`);
  }
  const datasets = sqlDatasets((table) => `SELECT id, name, updated_at FROM ${table} WHERE updated_at > :last_pull # a trailing comment;`);
  for (const { table, seeds } of datasets) {
    const rows = sqlRows(shuffled(seeds)).map(([key, ...rest]) => [table === "ko_text" || key === null ? key : BigInt(key as string), ...rest]);
    await db.query(`INSERT INTO ${table} (id, name, updated_at) VALUES ?`, [rows]);
    await db.query(`ANALYZE TABLE ${table}`);
  }
  const config = { host: server.host, port: server.port, user: server.user, password: server.password, database: server.database };
  return sqlEngine(datasets, () => new MySqlSource(config, OPTIONS), [], async () => {
    await db.end();
    await server.stop();
  });
});

defineKeyOrderSuite("mongodb", async () => {
  const server = process.env.MONGODB_URI ? undefined : await startMongoTestServer();
  const uri = process.env.MONGODB_URI ?? server!.uri;
  const database = `sluice_ko_${randomBytes(4).toString("hex")}`;
  const client = new MongoClient(uri);
  await client.connect();
  const query = '{"updated_at": {"$gt": ":last_pull"}}';
  const datasets: Dataset[] = [
    { label: "integer", table: "ints", query, seeds: intSeeds.filter((seed) => seed.key !== "null"), integer: true },
    { label: "text", table: "texts", query, seeds: textSeeds, integer: false },
    { label: "ObjectId", table: "oids", query, seeds: oidSeeds, integer: true },
  ];
  for (const { table, label, seeds } of datasets) {
    const idOf = (key: string) => (label === "integer" ? Number(key) : label === "text" ? key : new ObjectId(key));
    const docs = shuffled(seeds).map((seed) => ({ _id: idOf(seed.key), name: seed.name, updated_at: new Date(Date.now() - (seed.recent ? HOUR : 2 * 86_400_000)) }));
    await client.db(database).collection<{ _id: unknown }>(table).insertMany(docs);
  }
  await client.db(database).collection<{ _id: unknown }>("mixed").insertMany([{ _id: 1 }, { _id: "two" }, { _id: new ObjectId() }]);
  return {
    datasets,
    open: (dataset) => new MongoSource({ uri, database, collection: dataset.table }, OPTIONS),
    keyText: (row) => (row.id instanceof ObjectId ? row.id.toHexString() : String(row.id)),
    between: (lo, hi) => `{"_id": {"$gte": ${lo}, "$lte": ${hi}}, "updated_at": {"$gt": ":last_pull"}}`,
    unkeyed: [],
    badQuery: "not a JSON filter {",
    estimates: false,
    async specific() {
      const source = (collection: string) => new MongoSource({ uri, database, collection }, OPTIONS);
      const ints = source("ints");
      const mixed = source("mixed");
      const oids = source("oids");
      try {
        const order = (await ints.keyOrder(query, ALL, "whatever"))!;
        expect(order.column).toBe("_id");
        // Only the whole collection has a cheap count.
        expect(await (await ints.keyOrder("{}", ALL))!.estimate()).toBeGreaterThanOrEqual(3000);
        const rejected = readRows(ints, '{"$nope": 1}', ALL, order, { after: 5 });
        await expect(rejected).rejects.toEqual(expect.objectContaining({ name: "SourceError", type: "query_error" }));
        const oidOrder = (await oids.keyOrder(query, ALL))!;
        const first = await readRows(oids, query, ALL, oidOrder, { upTo: { $oid: oidSeeds[0]!.key } });
        expect(first.map((row) => oidOrder.positionOf(row))).toEqual([{ $oid: oidSeeds[0]!.key }]);
        // Numbers, strings and ObjectIds in one collection: $gt and $lte would skip the other types.
        expect(await mixed.keyOrder("{}", ALL)).toBeUndefined();
      } finally {
        await Promise.all([ints.close(), mixed.close(), oids.close()]);
      }
    },
    async stop() {
      await client.db(database).dropDatabase().catch(() => undefined);
      await client.close();
      await server?.stop();
    },
  };
});
