// MongoDB wire-protocol framing: splits a TCP byte stream into messages and encodes replies.
// Covers what the Node driver sends: OP_MSG for commands, OP_QUERY for the legacy handshake.
import { BSON, type Document } from "bson";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;
// What hello advertises as maxMessageSizeBytes; anything longer is a broken stream, not a message.
export const MAX_MESSAGE_BYTES = 48_000_000;

// Longs stay Long and binaries stay Binary so stored documents come back exactly as sent.
export const BSON_READ_OPTIONS = { promoteLongs: false, promoteBuffers: false } as const;

export interface WireRequest {
  requestId: number;
  opCode: number;
  command: Document;
  /** OP_QUERY only: the full collection name, `admin.$cmd` for a handshake. */
  namespace?: string;
  /** OP_MSG flag: the client expects no reply (unacknowledged writes). */
  moreToCome: boolean;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Collects chunks until whole messages are available; concatenates only once a message is complete. */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.#buffered >= 4) {
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#flatten();
      const length = head.readInt32LE(0);
      if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`);
      if (this.#buffered < length) break;
      const all = this.#flatten();
      messages.push(all.subarray(0, length));
      this.#chunks = length < all.length ? [all.subarray(length)] : [];
      this.#buffered -= length;
    }
    return messages;
  }

  #flatten(): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [all];
    return all;
  }
}

export function parseMessage(raw: Buffer): WireRequest {
  const requestId = raw.readInt32LE(4);
  const opCode = raw.readInt32LE(12);
  if (opCode === OP_MSG) return { requestId, opCode, ...parseOpMsg(raw) };
  if (opCode === OP_QUERY) return { requestId, opCode, moreToCome: false, ...parseOpQuery(raw) };
  // OP_COMPRESSED never arrives while hello advertises no compressors.
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function parseOpMsg(raw: Buffer): { command: Document; moreToCome: boolean } {
  const flags = raw.readUInt32LE(HEADER_BYTES);
  const end = flags & CHECKSUM_PRESENT ? raw.length - 4 : raw.length;
  let body: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  let pos = HEADER_BYTES + 4;
  while (pos < end) {
    const kind = raw[pos++];
    const size = raw.readInt32LE(pos);
    if (kind === 0) {
      body = BSON.deserialize(raw.subarray(pos, pos + size), BSON_READ_OPTIONS);
    } else if (kind === 1) {
      // Kind 1 carries one field of the command (e.g. insert `documents`) as back-to-back documents.
      const nameEnd = raw.indexOf(0, pos + 4);
      const field = raw.toString("utf8", pos + 4, nameEnd);
      const docs: Document[] = [];
      for (let at = nameEnd + 1; at < pos + size; at += raw.readInt32LE(at)) {
        docs.push(BSON.deserialize(raw.subarray(at, at + raw.readInt32LE(at)), BSON_READ_OPTIONS));
      }
      sequences[field] = docs;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
    pos += size;
  }
  if (!body) throw new ProtocolError("OP_MSG without a body section");
  // Appended after the body's own keys, so the command name stays the first key.
  return { command: Object.assign(body, sequences), moreToCome: (flags & MORE_TO_COME) !== 0 };
}

function parseOpQuery(raw: Buffer): { command: Document; namespace: string } {
  const nsEnd = raw.indexOf(0, HEADER_BYTES + 4);
  const namespace = raw.toString("utf8", HEADER_BYTES + 4, nsEnd);
  const queryAt = nsEnd + 1 + 8; // skip numberToSkip and numberToReturn
  const query = BSON.deserialize(raw.subarray(queryAt, queryAt + raw.readInt32LE(queryAt)), BSON_READ_OPTIONS);
  // Drivers wrap the command in $query when they add a read preference.
  const command = query.$query && typeof query.$query === "object" ? (query.$query as Document) : query;
  return { command, namespace };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

/** An OP_MSG reply: flags 0, then one kind-0 section holding the body. */
export function encodeOpMsg(responseTo: number, body: Document): Buffer {
  const doc = BSON.serialize(body);
  const prefix = Buffer.alloc(5); // flags (uint32) + section kind 0
  return Buffer.concat([header(HEADER_BYTES + prefix.length + doc.length, responseTo, OP_MSG), prefix, doc]);
}

/** An OP_REPLY with a single document, the answer to a legacy OP_QUERY command. */
export function encodeOpReply(responseTo: number, body: Document): Buffer {
  const doc = BSON.serialize(body);
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fields.writeInt32LE(1, 16);
  return Buffer.concat([header(HEADER_BYTES + fields.length + doc.length, responseTo, OP_REPLY), fields, doc]);
}
