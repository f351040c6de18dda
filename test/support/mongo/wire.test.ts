// Framing cases the driver does not produce on its own: messages split across TCP chunks and
// OP_MSG kind-1 document sequences (the driver only sends those for client.bulkWrite).
import { BSON } from "bson";
import { describe, expect, it } from "vitest";
import { MessageFramer, OP_MSG, parseMessage } from "./wire.js";

function opMsg(body: object, sequence?: { field: string; docs: object[] }): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(BSON.serialize(body))];
  if (sequence) {
    const docs = sequence.docs.map((doc) => Buffer.from(BSON.serialize(doc)));
    const name = Buffer.from(`${sequence.field}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.reduce((sum, doc) => sum + doc.length, 0));
    parts.push(Buffer.from([1]), size, name, ...docs);
  }
  const head = Buffer.alloc(20);
  const length = head.length + parts.reduce((sum, part) => sum + part.length, 0);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(7, 4);
  head.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([head, ...parts]);
}

describe("wire framing", () => {
  it("merges a kind-1 document sequence into the command after its name", () => {
    const raw = opMsg({ insert: "things", $db: "test" }, { field: "documents", docs: [{ a: 1 }, { a: 2 }] });
    const request = parseMessage(raw);
    expect(request.requestId).toBe(7);
    expect(Object.keys(request.command)[0]).toBe("insert");
    expect(request.command.documents).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("reassembles messages split across chunks and separates back-to-back ones", () => {
    const first = opMsg({ ping: 1, $db: "admin" });
    const second = opMsg({ hello: 1, $db: "admin" });
    const stream = Buffer.concat([first, second]);
    const framer = new MessageFramer();
    const cut = first.length + 3;
    expect(framer.push(stream.subarray(0, 2))).toEqual([]);
    expect(framer.push(stream.subarray(2, cut)).map((raw) => parseMessage(raw).command.ping)).toEqual([1]);
    expect(framer.push(stream.subarray(cut)).map((raw) => parseMessage(raw).command.hello)).toEqual([1]);
  });

  it("rejects a length that cannot be a message", () => {
    const bogus = Buffer.alloc(16);
    bogus.writeInt32LE(3, 0);
    expect(() => new MessageFramer().push(bogus)).toThrow(/invalid message length/);
  });
});
