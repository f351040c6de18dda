// Request bodies at the edge: content type, size, and JSON parsing whose error gives the
// position but never echoes the body (it may hold credentials).
import type { Context } from "hono";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors.js";
import { requireSound } from "../validation.js";

const DEFAULT_MAX_BYTES = 1024 * 1024;

function locate(text: string, position: number): { position: number; line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return { position, line, column: position - before.lastIndexOf("\n") };
}

export function parseJsonText(text: string): unknown {
  if (text.trim() === "") throw new ValidationError("request body is empty; send a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
    const match = /at position (\d+)/.exec((error as Error).message);
    const at = match ? locate(text, Number(match[1])) : /end of JSON input/.test(reason) ? locate(text, text.length) : undefined;
    const where = at ? ` at position ${at.position} (line ${at.line}, column ${at.column})` : "";
    throw new ValidationError(`malformed JSON${where}: ${reason}`, undefined, at);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 text (a byte order mark dropped), or undefined for bytes that are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The text of a JSON body; bytes that are not UTF-8 are a 400, never replaced. */
export function decodeJsonBytes(bytes: Uint8Array): string {
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new ValidationError("request body is not valid UTF-8; JSON must be sent as UTF-8");
  return text;
}

/** A JSON body nested at most MAX_NESTING levels deep, in valid Unicode (400 otherwise): see requireSound. */
export async function readJson(c: Context, maxBytes = DEFAULT_MAX_BYTES): Promise<unknown> {
  const body = parseJsonText(decodeJsonBytes(await readJsonBytes(c, maxBytes)));
  requireSound(body);
  return body;
}

/**
 * 415 for a `charset` parameter other than UTF-8: the body would be decoded as UTF-8 whatever it
 * says, and text in UTF-16 or Latin-1 would then be read wrong, not refused.
 */
export function requireUtf8Charset(type: string): void {
  const charset = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(type)?.[2];
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    throw new UnsupportedMediaTypeError(`the body must be UTF-8: charset ${JSON.stringify(charset)} is not supported (send charset=utf-8 or none)`);
  }
}

/**
 * The raw bytes of a JSON body (what a signature covers), read as they arrive and refused
 * with 413 as soon as they pass `maxBytes`, so an oversize body is never held whole.
 */
export async function readJsonBytes(c: Context, maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, got ${type ? JSON.stringify(type) : "none"}`);
  }
  requireUtf8Charset(type);
  const tooLarge = () => new PayloadTooLargeError(`request body exceeds ${maxBytes} bytes`, `${maxBytes} bytes`);
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** A JSON body that may be left out entirely (no Content-Type, no bytes): undefined then. */
export async function readOptionalJson(c: Context, maxBytes = DEFAULT_MAX_BYTES): Promise<unknown> {
  const declared = c.req.header("content-length");
  if (!c.req.header("content-type") && (declared === undefined || declared === "0")) {
    const text = await c.req.text();
    if (text.trim() === "") return undefined;
  }
  return readJson(c, maxBytes);
}

/** Parses a boolean query parameter: true/false/1/0; anything else is a 400. */
export function queryBoolean(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ValidationError(`${name} must be true or false`, name);
}

export function queryLimit(value: string | undefined, fallback = 50, max = 100): number {
  if (value === undefined || value === "") return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new ValidationError(`limit must be an integer from 1 to ${max}`, "limit");
  return limit;
}
