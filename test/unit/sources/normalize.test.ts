import { Buffer } from "node:buffer";
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  deserialize,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  serialize,
  Timestamp,
  UUID,
} from "bson";
import neo4j from "neo4j-driver";
import { describe, expect, it } from "vitest";
import { normalizeRow, normalizeValue } from "../../../lib/sources/normalize.js";

const { Node, Relationship, UnboundRelationship, Path, PathSegment, Point, Duration } = neo4j.types;

const alice = new Node(neo4j.int(1), ["Person"], { name: "Alice", age: neo4j.int(42) }, "4:db:1");
const bob = new Node(neo4j.int(2), ["Person"], { name: "Bob" }, "4:db:2");
const carol = new Node(neo4j.int(3), ["Person"], { name: "Carol" }, "4:db:3");
const knows = new Relationship(neo4j.int(10), neo4j.int(1), neo4j.int(2), "KNOWS", { since: neo4j.int(2020) });
const likes = new Relationship(neo4j.int(11), neo4j.int(2), neo4j.int(3), "LIKES", {});

describe("normalizeValue: primitives", () => {
  it("keeps strings, booleans and finite numbers as they are", () => {
    expect(normalizeValue("héllo")).toBe("héllo");
    expect(normalizeValue("")).toBe("");
    expect(normalizeValue(true)).toBe(true);
    expect(normalizeValue(false)).toBe(false);
    expect(normalizeValue(3.25)).toBe(3.25);
    expect(normalizeValue(0)).toBe(0);
    expect(normalizeValue(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("keeps decimal and numeric-looking strings as strings", () => {
    expect(normalizeValue("12345678901234567890.12")).toBe("12345678901234567890.12");
    expect(normalizeValue("00123")).toBe("00123");
  });

  it("turns NaN and ±Infinity into null", () => {
    expect(normalizeValue(Number.NaN)).toBeNull();
    expect(normalizeValue(Number.POSITIVE_INFINITY)).toBeNull();
    expect(normalizeValue(Number.NEGATIVE_INFINITY)).toBeNull();
  });

  it("turns null, undefined, functions and symbols into null", () => {
    expect(normalizeValue(null)).toBeNull();
    expect(normalizeValue(undefined)).toBeNull();
    expect(normalizeValue(() => 1)).toBeNull();
    expect(normalizeValue(Symbol("s"))).toBeNull();
  });

  it("turns a bigint into a number within ±(2^53-1), otherwise its decimal string", () => {
    expect(normalizeValue(42n)).toBe(42);
    expect(normalizeValue(9007199254740991n)).toBe(9007199254740991);
    expect(normalizeValue(-9007199254740991n)).toBe(-9007199254740991);
    expect(normalizeValue(9007199254740992n)).toBe("9007199254740992");
    expect(normalizeValue(-9007199254740992n)).toBe("-9007199254740992");
    expect(normalizeValue(18446744073709551615n)).toBe("18446744073709551615");
  });
});

describe("normalizeValue: JavaScript objects", () => {
  it("turns a Date into an ISO 8601 string in UTC, an invalid Date into null", () => {
    expect(normalizeValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe("2024-01-02T03:04:05.006Z");
    expect(normalizeValue(new Date(Number.NaN))).toBeNull();
  });

  it("turns a Buffer into base64", () => {
    expect(normalizeValue(Buffer.from("hello"))).toBe("aGVsbG8=");
  });

  it("turns a Uint8Array (also a view into a larger buffer) into base64 of its own bytes", () => {
    expect(normalizeValue(new Uint8Array([0, 255, 1]))).toBe("AP8B");
    const bytes = new Uint8Array([9, 104, 105, 9]);
    expect(normalizeValue(bytes.subarray(1, 3))).toBe("aGk=");
    expect(normalizeValue(bytes.buffer)).toBe("CWhpCQ==");
  });

  it("turns other typed arrays into arrays of numbers", () => {
    expect(normalizeValue(new Float64Array([1.5, Number.NaN]))).toEqual([1.5, null]);
    expect(normalizeValue(new BigInt64Array([1n, 2n ** 62n]))).toEqual([1, "4611686018427387904"]);
  });

  it("turns a Map into an object and a Set into an array", () => {
    expect(normalizeValue(new Map<unknown, unknown>([["a", 1n], [2, new Date(0)]]))).toEqual({
      a: 1,
      "2": "1970-01-01T00:00:00.000Z",
    });
    expect(normalizeValue(new Set([1, "x"]))).toEqual([1, "x"]);
  });

  it("turns a RegExp into its source text", () => {
    expect(normalizeValue(/a+b/gi)).toBe("/a+b/gi");
  });

  it("uses toJSON of other objects, else their own enumerable properties", () => {
    class Money {
      constructor(readonly amount: bigint) {}
      toJSON(): unknown {
        return { cents: this.amount };
      }
    }
    class Pair {
      constructor(
        readonly left: unknown,
        readonly right: unknown,
      ) {}
    }
    expect(normalizeValue(new Money(5n))).toEqual({ cents: 5 });
    expect(normalizeValue(new Pair(1n, undefined))).toEqual({ left: 1, right: null });
  });

  it("does not take a plain object's fields for driver markers", () => {
    const spoof = { _bsontype: "ObjectId", __isNode__: true, properties: { a: 1 } };
    expect(normalizeValue(spoof)).toEqual(spoof);
  });

  it("keeps a __proto__ key as data", () => {
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown;
    const out = normalizeValue(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "y"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"y":2}');
  });
});

describe("normalizeValue: BSON", () => {
  it("turns an ObjectId into its 24-char hex string", () => {
    const id = new ObjectId();
    expect(normalizeValue(id)).toBe(id.toHexString());
    expect(normalizeValue(new ObjectId("65a1b2c3d4e5f60718293a4b"))).toBe("65a1b2c3d4e5f60718293a4b");
  });

  it("turns a Decimal128 into its string", () => {
    expect(normalizeValue(Decimal128.fromString("1234567890.123456789012345"))).toBe("1234567890.123456789012345");
  });

  it("turns a Long into a number when safe, otherwise its string", () => {
    expect(normalizeValue(Long.fromString("9007199254740991"))).toBe(9007199254740991);
    expect(normalizeValue(Long.fromString("-42"))).toBe(-42);
    expect(normalizeValue(Long.fromString("9007199254740993"))).toBe("9007199254740993");
    expect(normalizeValue(Long.fromString("-9223372036854775808"))).toBe("-9223372036854775808");
    expect(normalizeValue(Long.fromString("18446744073709551615", true))).toBe("18446744073709551615");
  });

  it("turns Int32 and Double into numbers (a non-finite Double into null)", () => {
    expect(normalizeValue(new Int32(-7))).toBe(-7);
    expect(normalizeValue(new Double(2.5))).toBe(2.5);
    expect(normalizeValue(new Double(Number.POSITIVE_INFINITY))).toBeNull();
  });

  it("turns a Binary (and a UUID, subtype 4) into base64 of its bytes", () => {
    expect(normalizeValue(new Binary(Buffer.from("hello")))).toBe("aGVsbG8=");
    const uuid = new UUID("0e8b4c6c-4a3e-4c8e-9f55-2f1d3c9a7b10");
    expect(normalizeValue(uuid)).toBe(Buffer.from("0e8b4c6c4a3e4c8e9f552f1d3c9a7b10", "hex").toString("base64"));
  });

  it("turns a Timestamp into { t, i }", () => {
    expect(normalizeValue(new Timestamp({ t: 1700000000, i: 3 }))).toEqual({ t: 1700000000, i: 3 });
  });

  it("turns the rarer BSON types into their documented forms", () => {
    expect(normalizeValue(new BSONRegExp("^a.c$", "im"))).toBe("/^a.c$/im");
    expect(normalizeValue(new BSONSymbol("sym"))).toBe("sym");
    expect(normalizeValue(new Code("return 1"))).toEqual({ code: "return 1" });
    expect(normalizeValue(new Code("return x", { x: new Long(5) }))).toEqual({ code: "return x", scope: { x: 5 } });
    const ref = new DBRef("orders", new ObjectId("65a1b2c3d4e5f60718293a4b"), "shop");
    expect(normalizeValue(ref)).toEqual({ $ref: "orders", $id: "65a1b2c3d4e5f60718293a4b", $db: "shop" });
    expect(normalizeValue(new MinKey())).toBe("MinKey");
    expect(normalizeValue(new MaxKey())).toBe("MaxKey");
  });

  it("normalises a document as the mongodb driver deserialises it", () => {
    const id = new ObjectId();
    const bytes = serialize({
      _id: id,
      qty: new Int32(3),
      big: Long.fromString("9223372036854775807"),
      price: Decimal128.fromString("9.99"),
      at: new Date(Date.UTC(2024, 5, 1)),
      tags: ["a", { deep: new Binary(Buffer.from([1, 2, 3])) }],
    });
    const doc = deserialize(bytes, { promoteValues: false, promoteLongs: false });
    expect(normalizeRow(doc)).toEqual({
      _id: id.toHexString(),
      qty: 3,
      big: "9223372036854775807",
      price: "9.99",
      at: "2024-06-01T00:00:00.000Z",
      tags: ["a", { deep: "AQID" }],
    });
  });
});

describe("normalizeValue: Neo4j", () => {
  it("turns an Integer into a number when in safe range, otherwise its string", () => {
    expect(normalizeValue(neo4j.int(42))).toBe(42);
    expect(normalizeValue(neo4j.int("-9007199254740991"))).toBe(-9007199254740991);
    expect(normalizeValue(neo4j.int("9007199254740992"))).toBe("9007199254740992");
    expect(normalizeValue(neo4j.int("-9223372036854775808"))).toBe("-9223372036854775808");
  });

  it("turns a Node into its normalised properties", () => {
    expect(normalizeValue(alice)).toEqual({ name: "Alice", age: 42 });
  });

  it("turns a Relationship into { type, ...properties }", () => {
    expect(normalizeValue(knows)).toEqual({ type: "KNOWS", since: 2020 });
    const typed = new Relationship(neo4j.int(12), neo4j.int(1), neo4j.int(2), "RATED", { type: "stars" });
    expect(normalizeValue(typed)).toEqual({ type: "stars" });
    expect(normalizeValue(new UnboundRelationship(neo4j.int(13), "OWNS", { n: 1 }))).toEqual({ type: "OWNS", n: 1 });
  });

  it("turns a Path into alternating nodes and relationships from its start", () => {
    const path = new Path(alice, carol, [new PathSegment(alice, knows, bob), new PathSegment(bob, likes, carol)]);
    expect(normalizeValue(path)).toEqual([
      { name: "Alice", age: 42 },
      { type: "KNOWS", since: 2020 },
      { name: "Bob" },
      { type: "LIKES" },
      { name: "Carol" },
    ]);
    expect(normalizeValue(new Path(alice, alice, []))).toEqual([{ name: "Alice", age: 42 }]);
    expect(normalizeValue(new PathSegment(alice, knows, bob))).toEqual([
      { name: "Alice", age: 42 },
      { type: "KNOWS", since: 2020 },
      { name: "Bob" },
    ]);
  });

  it("turns a DateTime into ISO 8601 with its offset (and zone id, when it has one)", () => {
    const withOffset = new neo4j.types.DateTime(2024, 1, 2, 3, 4, 5, 6_000_000, 3600);
    expect(normalizeValue(withOffset)).toBe("2024-01-02T03:04:05.006000000+01:00");
    expect(normalizeValue(new neo4j.types.DateTime(2024, 1, 2, 3, 4, 5, 0, 0))).toBe("2024-01-02T03:04:05Z");
    const zoned = new neo4j.types.DateTime(2024, 7, 1, 12, 0, 0, 0, 7200, "Europe/Berlin");
    expect(normalizeValue(zoned)).toBe("2024-07-01T12:00:00+02:00[Europe/Berlin]");
  });

  it("turns a Date, LocalDateTime, Time and LocalTime into their ISO strings", () => {
    expect(normalizeValue(new neo4j.types.Date(2024, 2, 29))).toBe("2024-02-29");
    expect(normalizeValue(new neo4j.types.LocalDateTime(2024, 2, 29, 23, 59, 1, 0))).toBe("2024-02-29T23:59:01");
    expect(normalizeValue(new neo4j.types.Time(1, 2, 3, 4, -3600))).toBe("01:02:03.000000004-01:00");
    expect(normalizeValue(new neo4j.types.LocalTime(1, 2, 3, 0))).toBe("01:02:03");
  });

  it("turns a Duration into its ISO 8601 string", () => {
    expect(normalizeValue(new Duration(1, 2, 3, 4))).toBe("P1M2DT3.000000004S");
    expect(normalizeValue(new Duration(14, 0, 0, 0))).toBe("P1Y2M");
    expect(normalizeValue(new Duration(0, 0, 0, 0))).toBe("PT0S");
  });

  it("turns a Point into { srid, x, y } and a 3-D point into { srid, x, y, z }", () => {
    expect(normalizeValue(new Point(neo4j.int(4326), 13.4, 52.5))).toEqual({ srid: 4326, x: 13.4, y: 52.5 });
    expect(normalizeValue(new Point(9157, 1, 2, 3))).toEqual({ srid: 9157, x: 1, y: 2, z: 3 });
  });

  it("turns a UUID into its string and a Vector into an array of numbers", () => {
    expect(normalizeValue(neo4j.uuid("0e8b4c6c-4a3e-4c8e-9f55-2f1d3c9a7b10"))).toBe(
      "0e8b4c6c-4a3e-4c8e-9f55-2f1d3c9a7b10",
    );
    expect(normalizeValue(neo4j.vector(new Float32Array([0.5, 1])))).toEqual([0.5, 1]);
  });
});

describe("normalizeRow", () => {
  it("normalises a nested structure mixing every driver's values", () => {
    const row = {
      id: 7n,
      name: "Widget",
      missing: undefined,
      ratio: Number.NaN,
      created_at: new Date(Date.UTC(2024, 0, 1)),
      blob: Buffer.from([0xde, 0xad]),
      owner: new ObjectId("65a1b2c3d4e5f60718293a4b"),
      graph: {
        who: alice,
        edges: [knows, [neo4j.int("9223372036854775807"), new Duration(0, 1, 0, 0)]],
        seen: new Map([["first", new neo4j.types.Date(2024, 1, 1)]]),
      },
      amounts: [Decimal128.fromString("0.10"), Long.fromNumber(5), null],
    };
    const out = normalizeRow(row);
    expect(out).toEqual({
      id: 7,
      name: "Widget",
      missing: null,
      ratio: null,
      created_at: "2024-01-01T00:00:00.000Z",
      blob: "3q0=",
      owner: "65a1b2c3d4e5f60718293a4b",
      graph: {
        who: { name: "Alice", age: 42 },
        edges: [{ type: "KNOWS", since: 2020 }, ["9223372036854775807", "P1D"]],
        seen: { first: "2024-01-01" },
      },
      amounts: ["0.10", 5, null],
    });
    // JSON round trip: nothing is lost or changed by serialising the result.
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});
