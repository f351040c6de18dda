// Push ingestion over real HTTP against the local service (dynalite): JSON batches with the
// QANATIX rule, dead-letter entries, schemas, NDJSON streams, and every kind of bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ INGEST_MAX_RECORDS: "20", INGEST_MAX_BODY_BYTES: "65536", INGEST_STREAM_BATCH_SIZE: "10", INGEST_STREAM_MAX_IN_FLIGHT: "2" });
});
afterAll(async () => {
  await h?.close();
});

const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n");

async function storedRecords(scope: string): Promise<any[]> {
  const page = await h.request("GET", `/api/v1/records/${scope}?limit=100`);
  expect(page.status).toBe(200);
  return page.body.items;
}

async function deadLetters(id: string): Promise<any[]> {
  const page = await h.request("GET", `/api/v1/ingestions/${id}/errors?limit=100`);
  expect(page.status).toBe(200);
  return page.body.items;
}

describe("batch", () => {
  it("stores the seed's records, moves other top-level fields into vertical_data, upserts by source_id", async () => {
    const records = [
      { name: "Widget", source_id: "custom-1", vertical_data: { field1: "a", field2: 2 } },
      { name: "Gadget", source_id: "custom-2", price: 9.5, vertical_data: { field1: "b" } },
      { name: "Keyless", colour: "red" },
    ];
    const first = await h.request("POST", "/api/v1/ingest/my_vertical/my_type/batch", { body: { records } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      ingestion_id: expect.stringMatching(/^ing_[0-9a-z]{26}$/),
      status: "completed",
      record_count: 3,
      accepted: 3,
      rejected: 0,
      duplicates_skipped: 0,
    });
    const stored = await storedRecords("my_vertical/my_type");
    expect(stored).toHaveLength(3);
    const gadget = stored.find((r) => r.source_id === "custom-2");
    expect(gadget).toMatchObject({ name: "Gadget", vertical_data: { field1: "b", price: 9.5 }, origin: { kind: "push", id: first.body.ingestion_id } });
    expect(stored.find((r) => r.name === "Keyless")).toMatchObject({ source_id: expect.stringMatching(/^sha256:/), vertical_data: { colour: "red" } });

    // The same batch again: all duplicates; one changed record: written, created_at kept.
    const again = await h.request("POST", "/api/v1/ingest/my_vertical/my_type/batch", { body: { records } });
    expect(again.body).toMatchObject({ accepted: 3, duplicates_skipped: 3, rejected: 0 });
    const changed = await h.request("POST", "/api/v1/ingest/my_vertical/my_type/batch", {
      body: { records: [{ name: "Widget v2", source_id: "custom-1", vertical_data: { field1: "a" } }] },
    });
    expect(changed.body).toMatchObject({ accepted: 1, duplicates_skipped: 0 });
    const widget = (await h.request("GET", "/api/v1/records/my_vertical/my_type/custom-1")).body;
    expect(widget.name).toBe("Widget v2");
    expect(widget.created_at).toBe(stored.find((r) => r.source_id === "custom-1").created_at);
    expect(await storedRecords("my_vertical/my_type")).toHaveLength(3);
  });

  it("rejects bad records into the dead-letter list and stores the rest, counted in the summary", async () => {
    const records = [
      { name: "ok-1", source_id: "1" },
      "not an object",
      { source_id: "2", vertical_data: {} },
      { name: "bad vd", vertical_data: [1, 2] },
      { name: "bad id", source_id: { nested: true } },
      { name: "ok-2", source_id: 3 },
    ];
    const response = await h.request("POST", "/api/v1/ingest/dlq/item/batch", { body: { records } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ record_count: 6, accepted: 2, rejected: 4, duplicates_skipped: 0, status: "completed" });
    expect((await storedRecords("dlq/item")).map((r) => r.source_id).sort()).toEqual(["1", "3"]);

    const entries = await deadLetters(response.body.ingestion_id);
    expect(entries.map((e) => [e.index, e.error])).toEqual([
      [1, "a record must be a JSON object"],
      [2, "name is required: a non-empty string"],
      [3, "vertical_data must be an object"],
      [4, "source_id must be a non-empty string when given"],
    ]);
    expect(entries[1]).toMatchObject({ ingestion_id: response.body.ingestion_id, seq: 2, source_id: "2", excerpt: '{"source_id":"2","vertical_data":{}}' });

    const ingestion = await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}`);
    expect(ingestion.status).toBe(200);
    expect(ingestion.body).toMatchObject({ ...response.body, kind: "batch", collection: "dlq", record_type: "item", error: null });
    expect(ingestion.body.tenant).toBeUndefined();
    expect(ingestion.body.completed_at).toEqual(expect.any(String));
  });

  it("pages dead-letter entries with limit and cursor", async () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ source_id: `x${i}` }));
    const response = await h.request("POST", "/api/v1/ingest/dlq/paged/batch", { body: { records } });
    expect(response.body).toMatchObject({ accepted: 0, rejected: 7 });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page = await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}/errors?limit=3${query}`);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((e: { index: number }) => e.index));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const foreign = await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}/errors?cursor=${Buffer.from('{"pk":"TENANT#other#DLQ#x","sk":"1"}').toString("base64url")}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.field).toBe("cursor");
  });

  it("answers bad requests with clear 4xx errors and stores nothing", async () => {
    const cases: [string, Parameters<Harness["request"]>[2], number, Record<string, unknown>][] = [
      ["wrong content type", { raw: '{"records":[{"name":"a"}]}', contentType: "text/plain" }, 415, { error: "unsupported_media_type" }],
      ["malformed JSON", { raw: '{"records":[{"name":"a"}' }, 400, { error: "validation_error", message: expect.stringMatching(/^malformed JSON at position 24/) }],
      ["empty body", { raw: "" }, 400, { error: "validation_error", message: expect.stringContaining("empty") }],
      ["not an object", { body: [{ name: "a" }] }, 400, { error: "validation_error" }],
      ["records missing", { body: { record: [] } }, 400, { field: "records", message: "records is required" }],
      ["records not an array", { body: { records: { name: "a" } } }, 400, { field: "records" }],
      ["records empty", { body: { records: [] } }, 400, { field: "records", message: expect.stringContaining("at least one") }],
      ["too many records", { body: { records: Array.from({ length: 21 }, (_, i) => ({ name: `n${i}` })) } }, 413, { error: "payload_too_large", details: { limit: "20 records" } }],
      ["body too large", { body: { records: [{ name: "big", vertical_data: { blob: "x".repeat(70_000) } }] } }, 413, { error: "payload_too_large", details: { limit: "65536 bytes" } }],
      ["no API key", { key: null, body: { records: [{ name: "a" }] } }, 401, { error: "unauthorized" }],
    ];
    for (const [label, options, status, body] of cases) {
      const response = await h.request("POST", "/api/v1/ingest/bad/input/batch", options);
      expect({ label, status: response.status }).toEqual({ label, status });
      expect(response.body).toMatchObject(body);
    }
    const badScope = await h.request("POST", "/api/v1/ingest/bad%23scope/input/batch", { body: { records: [{ name: "a" }] } });
    expect(badScope.status).toBe(400);
    expect(badScope.body.field).toBe("collection");
    expect(await storedRecords("bad/input")).toEqual([]);
  });

  it("dead-letters records nested too deeply or outgrowing the store, and stores the rest", async () => {
    const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
    const body = `{"records":[{"name":"fine","source_id":"f1"},{"name":"deep","x":${deep(1500)}},${deep(10_000)},{"source_id":"d2","x":${deep(10_000)}}]}`;
    const response = await h.request("POST", "/api/v1/ingest/odd/deep/batch", { raw: body });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "completed", record_count: 4, accepted: 1, rejected: 3 });
    expect((await storedRecords("odd/deep")).map((r) => r.source_id)).toEqual(["f1"]);
    const entries = await deadLetters(response.body.ingestion_id);
    expect(entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(entries[0].error).toMatch(/nested more than \d+ levels deep/);

    // 1E20 is written as 21 digits: a small line can still be too large to store.
    const grows = JSON.stringify({ name: "fine", source_id: "g1" }) + "\n" + `{"name":"grows","n":[${Array(40_000).fill("1E20").join(",")}]}` + "\n";
    const stream = await h.request("POST", "/api/v1/ingest/odd/grows/stream", { raw: grows, contentType: "application/x-ndjson" });
    expect(stream.status).toBe(200);
    expect(stream.body).toMatchObject({ status: "completed", lines: 2, accepted: 1, rejected: 1 });
    expect((await storedRecords("odd/grows")).map((r) => r.source_id)).toEqual(["g1"]);
    expect((await deadLetters(stream.body.ingestion_id))[0]).toMatchObject({ line: 2, error: expect.stringContaining("bytes serialized") });
  });

  it("keeps a __proto__ field of vertical_data beside the fields moved into it", async () => {
    const raw = '{"records":[{"name":"p","source_id":"p1","extra":1,"vertical_data":{"__proto__":{"x":1},"y":2}}]}';
    expect((await h.request("POST", "/api/v1/ingest/odd/proto/batch", { raw })).body).toMatchObject({ accepted: 1 });
    const stored = await h.request("GET", "/api/v1/records/odd/proto/p1");
    expect(JSON.parse(stored.text).vertical_data).toEqual(JSON.parse('{"__proto__":{"x":1},"extra":1,"y":2}'));
    expect(Object.keys(JSON.parse(stored.text).vertical_data).sort()).toEqual(["__proto__", "extra", "y"]);
  });

  it("refuses a body that is not UTF-8 rather than storing mangled text", async () => {
    const bytes = Buffer.concat([Buffer.from('{"records":[{"name":"caf'), Buffer.from([0xe9]), Buffer.from('","source_id":"latin1"}]}')]);
    const response = await fetch(`${h.url}/api/v1/ingest/odd/latin1/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.ownerKey}`, "content-type": "application/json" },
      body: bytes,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "validation_error", message: expect.stringContaining("UTF-8") });
    expect(await storedRecords("odd/latin1")).toEqual([]);
    // A byte order mark is fine.
    const bom = await h.request("POST", "/api/v1/ingest/odd/latin1/batch", { raw: '\uFEFF{"records":[{"name":"bom"}]}' });
    expect(bom.body).toMatchObject({ accepted: 1 });
  });

  it("answers 404 for an ingestion id no ingestion can have", async () => {
    for (const id of ["x".repeat(3000), "run_" + "x".repeat(3000), "ing_%F0%9F%92%A9"]) {
      for (const suffix of ["", "/errors"]) {
        const response = await h.request("GET", `/api/v1/ingestions/${id}${suffix}`);
        expect({ id: id.slice(0, 12), suffix, status: response.status }).toEqual({ id: id.slice(0, 12), suffix, status: 404 });
        expect(response.body.error).toBe("not_found");
      }
    }
  });

  it("needs the editor role to push", async () => {
    const viewer = (await h.service.services.apiKeys.create({ tenant: "default", role: "viewer" })).key;
    const response = await h.request("POST", "/api/v1/ingest/roles/item/batch", { key: viewer, body: { records: [{ name: "a" }] } });
    expect(response.status).toBe(403);
    expect(await storedRecords("roles/item")).toEqual([]);
  });

  it("keeps tenants apart: another tenant's ingestion is not found", async () => {
    const response = await h.request("POST", "/api/v1/ingest/tenants/item/batch", { body: { records: [{ name: "a" }] } });
    const other = (await h.service.services.apiKeys.create({ tenant: "other", role: "owner" })).key;
    expect((await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}`, { key: other })).status).toBe(404);
    expect((await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}/errors`, { key: other })).status).toBe(404);
    expect((await h.request("GET", "/api/v1/ingestions/ing_missing")).status).toBe(404);
  });
});

describe("schemas", () => {
  const schema = {
    type: "object",
    properties: { price: { type: "number", minimum: 0 }, email: { type: "string", format: "email" } },
    required: ["price"],
  };

  it("refuses an invalid schema with ajv's reason and stores nothing", async () => {
    for (const [bad, reason] of [
      [{ type: "objekt" }, "must be equal to one of the allowed values"],
      [{ type: "object", propertys: {} }, 'unknown keyword: "propertys"'],
      [{ type: "string", pattern: "(" }, "error parsing regexp: missing closing )"],
      [{ type: "string", pattern: "^(?=a)" }, "error parsing regexp"],
    ] as const) {
      const response = await h.request("PUT", "/api/v1/schemas/shop/product", { body: { schema: bad } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: "validation_error", field: "schema" });
      expect(response.body.message).toContain(reason);
    }
    const bare = await h.request("PUT", "/api/v1/schemas/shop/product", { body: schema });
    expect(bare.body).toMatchObject({ field: "schema", message: 'schema: the body must be {"schema": <JSON Schema>}' });
    expect((await h.request("GET", "/api/v1/schemas/shop/product")).status).toBe(404);
  });

  it("validates pushed records against the schema; failures are dead letters with ajv's paths and messages", async () => {
    const put = await h.request("PUT", "/api/v1/schemas/shop/product", { body: { schema } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ collection: "shop", record_type: "product", schema });
    expect((await h.request("PUT", "/api/v1/schemas/shop/product", { body: { schema } })).status).toBe(200);
    expect((await h.request("GET", "/api/v1/schemas/shop/product")).body.schema).toEqual(schema);

    const records = [
      { name: "fine", source_id: "p1", price: 3 },
      { name: "negative", source_id: "p2", vertical_data: { price: -1, email: "nope" } },
      { name: "no price", source_id: "p3" },
    ];
    const response = await h.request("POST", "/api/v1/ingest/shop/product/batch", { body: { records } });
    expect(response.body).toMatchObject({ accepted: 1, rejected: 2 });
    expect((await storedRecords("shop/product")).map((r) => r.source_id)).toEqual(["p1"]);
    const entries = await deadLetters(response.body.ingestion_id);
    expect(entries[0]).toMatchObject({
      index: 1,
      source_id: "p2",
      schema_errors: [
        { path: "/price", message: "must be >= 0" },
        { path: "/email", message: 'must match format "email"' },
      ],
    });
    expect(entries[1]).toMatchObject({ index: 2, schema_errors: [{ path: "", message: "must have required property 'price'" }] });

    // Replaced and then deleted: the next push sees the change at once.
    await h.request("PUT", "/api/v1/schemas/shop/product", { body: { schema: { type: "object", required: ["sku"] } } });
    expect((await h.request("POST", "/api/v1/ingest/shop/product/batch", { body: { records: [records[0]] } })).body).toMatchObject({ rejected: 1 });
    expect((await h.request("DELETE", "/api/v1/schemas/shop/product")).status).toBe(204);
    expect((await h.request("DELETE", "/api/v1/schemas/shop/product")).status).toBe(404);
    expect((await h.request("POST", "/api/v1/ingest/shop/product/batch", { body: { records } })).body).toMatchObject({ accepted: 3, rejected: 0 });
  });
});

describe("NDJSON stream", () => {
  it("stores good lines, dead-letters bad ones with their line numbers, and counts everything", async () => {
    await h.request("PUT", "/api/v1/schemas/events/reading", { body: { schema: { type: "object", properties: { value: { type: "number" } } } } });
    const body = [
      JSON.stringify({ name: "Event 1", value: 42.5, source_id: "e1" }),
      "",
      JSON.stringify({ name: "Event 2", value: 38.1, source_id: "e2" }) + "\r",
      "{oops",
      "[1,2]",
      JSON.stringify({ value: 1 }),
      JSON.stringify({ name: "Event 3", value: "high" }),
      "   ",
      JSON.stringify({ name: "Event 1", value: 42.5, source_id: "e1" }),
    ].join("\n") + "\n";
    const response = await h.request("POST", "/api/v1/ingest/events/reading/stream", { raw: body, contentType: "application/x-ndjson" });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ingestion_id: expect.stringMatching(/^ing_/),
      status: "completed",
      lines: 9,
      record_count: 7,
      accepted: 3,
      rejected: 4,
      duplicates_skipped: 1,
    });
    expect((await storedRecords("events/reading")).map((r) => r.source_id)).toEqual(["e1", "e2"]);
    const entries = await deadLetters(response.body.ingestion_id);
    expect(entries.map((e) => e.line)).toEqual([4, 5, 6, 7]);
    expect(entries[0].error).toMatch(/^invalid JSON: .*position 1/);
    expect(entries[0].excerpt).toBe("{oops");
    expect(entries[1].error).toBe("a record must be a JSON object");
    expect(entries[2].error).toBe("name is required: a non-empty string");
    expect(entries[3].schema_errors).toEqual([{ path: "/value", message: "must be number" }]);
    const ingestion = (await h.request("GET", `/api/v1/ingestions/${response.body.ingestion_id}`)).body;
    expect(ingestion).toMatchObject({ kind: "stream", lines: 9, accepted: 3 });
  });

  it("writes many batches, last record of a source_id wins, and the summary adds up", async () => {
    const lines = Array.from({ length: 95 }, (_, i) => ({ name: `r${i}`, source_id: `k${i % 40}`, n: i }));
    const response = await h.request("POST", "/api/v1/ingest/events/many/stream", { raw: ndjson(lines), contentType: "application/x-ndjson" });
    expect(response.body).toMatchObject({ lines: 95, record_count: 95, accepted: 95, rejected: 0 });
    const stored = await storedRecords("events/many");
    expect(stored).toHaveLength(40);
    for (const record of stored) {
      const k = Number(record.source_id.slice(1));
      expect(record.vertical_data.n).toBe(k < 15 ? 80 + k : 40 + k);
    }
  });

  it("reads lines across chunk boundaries, drops overlong and non-UTF-8 lines into the dead-letter list", async () => {
    const encoder = new TextEncoder();
    const parts = [encoder.encode('{"name":"spl'), encoder.encode('it"}\n{"name":"ü'), new Uint8Array([0xff, 0x22, 0x7d, 0x0a]), encoder.encode('{"name":"last"}')];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const response = await fetch(`${h.url}/api/v1/ingest/events/chunks/stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.ownerKey}`, "content-type": "application/x-ndjson" },
      body,
      duplex: "half",
    } as RequestInit);
    const summary: any = await response.json();
    expect(summary).toMatchObject({ lines: 3, accepted: 2, rejected: 1 });
    expect((await storedRecords("events/chunks")).map((r) => r.name).sort()).toEqual(["last", "split"]);
    expect((await deadLetters(summary.ingestion_id))[0]).toMatchObject({ line: 2, error: "line is not valid UTF-8" });
  });

  it("answers 415 for another content type and 400 for an empty body, storing nothing", async () => {
    const wrong = await h.request("POST", "/api/v1/ingest/events/empty/stream", { raw: '{"name":"a"}', contentType: "application/json" });
    expect(wrong.status).toBe(415);
    expect(wrong.body.message).toContain("application/x-ndjson");
    for (const raw of ["", "\n\n  \n"]) {
      const empty = await h.request("POST", "/api/v1/ingest/events/empty/stream", { raw, contentType: "application/x-ndjson" });
      expect(empty.status).toBe(400);
      expect(empty.body).toMatchObject({ error: "validation_error", message: expect.stringContaining("empty") });
    }
    expect(await storedRecords("events/empty")).toEqual([]);
  });

  it("is parsed as it arrives: records are stored while the body is still open", async () => {
    let push!: (text: string) => void;
    let end!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
        end = () => controller.close();
      },
    });
    const pending = fetch(`${h.url}/api/v1/ingest/events/live/stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.ownerKey}`, "content-type": "application/x-ndjson" },
      body,
      duplex: "half",
    } as RequestInit);
    // Two full batches (batch size 10) sent, the body left open.
    push(ndjson(Array.from({ length: 20 }, (_, i) => ({ name: `early${i}`, source_id: `early${i}` }))) + "\n");
    const deadline = Date.now() + 10_000;
    let stored: any[] = [];
    while (Date.now() < deadline) {
      stored = await storedRecords("events/live");
      if (stored.length >= 10) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stored.length).toBeGreaterThanOrEqual(10);
    push(JSON.stringify({ name: "late", source_id: "late" }) + "\n");
    end();
    const summary = await (await pending).json();
    expect(summary).toMatchObject({ lines: 21, accepted: 21 });
    expect(await storedRecords("events/live")).toHaveLength(21);
  });
});

describe("strings that are not valid Unicode", () => {
  it("a lone surrogate in a source_id or name is a dead-letter entry, never merged with the replacement character", async () => {
    // Raw JSON text: \ud800 and \udfff are lone surrogates; \ufffd is the replacement character itself.
    const raw = '{"records":[{"name":"a","source_id":"k\\ud800"},{"name":"b","source_id":"k\\udfff"},{"name":"c","source_id":"k\\ufffd"},{"name":"bad \\ud83d","source_id":"k2"}]}';
    const pushed = await h.request("POST", "/api/v1/ingest/unicode/ids/batch", { raw });
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatchObject({ record_count: 4, accepted: 1, rejected: 3 });
    const errors = await h.request("GET", `/api/v1/ingestions/${pushed.body.ingestion_id}/errors`);
    expect(errors.body.items.map((e: any) => [e.index, e.error])).toEqual([
      [0, expect.stringMatching(/source_id is not valid Unicode/)],
      [1, expect.stringMatching(/source_id is not valid Unicode/)],
      [3, expect.stringMatching(/name is not valid Unicode/)],
    ]);
    const stored = await h.request("GET", "/api/v1/records/unicode/ids");
    expect(stored.body.items.map((r: any) => [r.source_id, r.name])).toEqual([["k\ufffd", "c"]]);
  });
});

describe("schemas that recurse without end", () => {
  it("are refused when stored, and a record they cannot evaluate is a dead letter, never a 500", async () => {
    for (const schema of [{ $dynamicRef: "#meta" }, { unevaluatedProperties: false, allOf: [{ $ref: "#" }] }]) {
      const put = await h.request("PUT", "/api/v1/schemas/loops/t", { body: { schema } });
      expect(put.status, put.text).toBe(400);
      expect(put.body).toMatchObject({ error: "validation_error", field: "schema" });
    }
    const pushed = await h.request("POST", "/api/v1/ingest/loops/t/batch", { body: { records: [{ name: "a", vertical_data: { a: "ab" } }] } });
    expect(pushed.body).toMatchObject({ accepted: 1, rejected: 0 });
    const stream = await h.request("POST", "/api/v1/ingest/loops/t/stream", { raw: '{"name":"b"}\n', contentType: "application/x-ndjson; charset=utf-16" });
    expect(stream.status).toBe(415);
  });
});
