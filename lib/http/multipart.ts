// Multipart uploads at the edge: the Content-Type, a byte bound enforced while the body streams
// in (not after buffering an unbounded one), and the one file field the route wants.
import type { Context } from "hono";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors.js";

/** Room for the multipart boundaries and part headers around a file at the limit. */
const ENVELOPE_BYTES = 64 * 1024;

export const describeBytes = (bytes: number) => (bytes % 1_048_576 === 0 ? `${bytes / 1_048_576} MB` : `${bytes} bytes`);

function tooLarge(what: string, maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`${what} exceeds the limit of ${describeBytes(maxBytes)}`, describeBytes(maxBytes));
}

async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge("the upload", limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The bytes of multipart field `field`: 415 without multipart, 413 over `maxBytes`, 400 when missing or repeated. */
export async function readUploadedFile(c: Context, field: string, maxBytes: number): Promise<Uint8Array> {
  const type = c.req.header("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be multipart/form-data with the file in field ${field} (curl -F "${field}=@path"), got ${type ? JSON.stringify(type) : "none"}`,
    );
  }
  const declared = Number(c.req.header("content-length"));
  if (declared > maxBytes + ENVELOPE_BYTES) throw tooLarge("the upload", maxBytes);
  const body = await readBounded(c.req.raw.body, maxBytes + ENVELOPE_BYTES, maxBytes);
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": type } }).formData();
  } catch (error) {
    throw new ValidationError(`the multipart body could not be read: ${(error as Error).message}`, field);
  }
  const values = form.getAll(field);
  if (values.length === 0) {
    const sent = [...new Set(form.keys())];
    throw new ValidationError(`${field} is required: send the file as multipart field ${field}${sent.length ? ` (got ${sent.join(", ")})` : ""}`, field);
  }
  // Taking one of several silently would import a file the sender did not mean.
  if (values.length > 1) throw new ValidationError(`send one file in multipart field ${field}, got ${values.length}`, field);
  const value = values[0]!;
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(field, maxBytes);
  return bytes;
}
