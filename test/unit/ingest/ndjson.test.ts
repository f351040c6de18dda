// NDJSON framing: lines across chunk boundaries, CRLF, byte order mark, invalid UTF-8 and
// overlong lines, one chunk read per request.
import { describe, expect, it } from "vitest";
import { ndjsonLines, type NdjsonLine } from "../../../lib/ingest/ndjson.js";

function bodyOf(chunks: (string | number[])[]): { stream: ReadableStream<Uint8Array>; reads: () => number } {
  let reads = 0;
  const queue = chunks.map((c) => (typeof c === "string" ? new TextEncoder().encode(c) : new Uint8Array(c)));
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        reads++;
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, reads: () => reads };
}

async function all(chunks: (string | number[])[], max = 64): Promise<NdjsonLine[]> {
  const lines: NdjsonLine[] = [];
  for await (const batch of ndjsonLines(bodyOf(chunks).stream, max)) lines.push(...batch);
  return lines;
}

describe("ndjsonLines", () => {
  it("joins lines split across chunks and numbers them", async () => {
    expect(await all(['{"a":', '1}\n{"b"', ":2}\n", '{"c":3}'])).toEqual([
      { number: 1, text: '{"a":1}', bytes: 7 },
      { number: 2, text: '{"b":2}', bytes: 7 },
      { number: 3, text: '{"c":3}', bytes: 7 },
    ]);
  });

  it("drops CR of CRLF, a leading byte order mark, and keeps blank lines numbered", async () => {
    const lines = await all(["\uFEFFone\r\n\r\ntwo\n\n"]);
    expect(lines.map((l) => ("text" in l ? l.text : l.error))).toEqual(["one", "", "two", ""]);
  });

  it("reports a line of invalid UTF-8, even split inside a multi-byte character, and goes on", async () => {
    const lines = await all([[0x6f, 0x6b, 0xc3], [0xbc, 0x0a, 0xff, 0xfe, 0x0a], "fine\n"]);
    expect(lines).toEqual([
      { number: 1, text: "okü", bytes: 4 },
      { number: 2, error: "line is not valid UTF-8" },
      { number: 3, text: "fine", bytes: 4 },
    ]);
  });

  it("reports an overlong line without buffering it, whether it ends in the chunk or later", async () => {
    const long = "x".repeat(40);
    const lines = await all([long, long, "\nshort\n", "y".repeat(100), "\nend"], 64);
    expect(lines).toEqual([
      { number: 1, error: "line is longer than 64 bytes" },
      { number: 2, text: "short", bytes: 5 },
      { number: 3, error: "line is longer than 64 bytes" },
      { number: 4, text: "end", bytes: 3 },
    ]);
  });

  it("reads the next chunk only when the consumer asks for more lines", async () => {
    const { stream, reads } = bodyOf(["a\n", "b\n", "c\n"]);
    const iterator = ndjsonLines(stream, 64);
    expect(reads()).toBe(0);
    expect((await iterator.next()).value).toEqual([{ number: 1, text: "a", bytes: 1 }]);
    expect(reads()).toBe(1);
    await iterator.next();
    expect(reads()).toBe(2);
    await iterator.return(undefined);
  });
});
