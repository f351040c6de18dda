// NDJSON framing over a web ReadableStream: yields the complete lines of each chunk as it
// arrives and reads the next chunk only when asked, so a consumer that awaits its writes
// pauses the body (and, through the socket, the sender). Lines are split on bytes and decoded
// one by one, so invalid UTF-8 spoils one line, not the stream; an overlong line is dropped
// unbuffered up to its newline.
import { isUtf8 } from "node:buffer";
import { RequestBodyError } from "./errors.js";

export type NdjsonLine =
  | { number: number; text: string; bytes: number }
  | { number: number; error: string };

const NEWLINE = 0x0a;

export async function* ndjsonLines(body: ReadableStream<Uint8Array>, maxLineBytes: number): AsyncGenerator<NdjsonLine[]> {
  const reader = body.getReader();
  let pieces: Buffer[] = []; // the start of the current line, across chunks
  let pending = 0;
  let overlong = false;
  let number = 0;
  const lineOf = (bytes: Buffer): NdjsonLine => {
    number++;
    if (overlong) {
      overlong = false;
      return { number, error: `line is longer than ${maxLineBytes} bytes` };
    }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--; // CRLF
    const line = bytes.subarray(0, end);
    if (!isUtf8(line)) return { number, error: "line is not valid UTF-8" };
    let text = line.toString("utf8");
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte order mark
    return { number, text, bytes: end };
  };
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((error: unknown) => {
        throw new RequestBodyError({ cause: error });
      });
      if (done) break;
      const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      const lines: NdjsonLine[] = [];
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        const tail = chunk.subarray(start, at);
        if (pending + tail.length > maxLineBytes) overlong = true;
        lines.push(lineOf(pieces.length && !overlong ? Buffer.concat([...pieces, tail]) : tail));
        pieces = [];
        pending = 0;
        start = at + 1;
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        pending += rest.length;
        if (pending > maxLineBytes) {
          overlong = true;
          pieces = [];
        } else if (!overlong) {
          pieces.push(Buffer.from(rest)); // a copy: the chunk's memory may be reused
        }
      }
      if (lines.length) yield lines;
    }
    if (pending > 0 || overlong) yield [lineOf(Buffer.concat(pieces))];
  } finally {
    reader.releaseLock();
  }
}
