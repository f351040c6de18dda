// Runs a zod schema at the edge and turns its first issue into a ValidationError whose `field`
// names the offending path, so every 400 reads the same way.
import type { z } from "zod";
import { ValidationError } from "./errors.js";

type Issue = z.core.$ZodIssue;

function describe(issue: Issue, field: string): { field: string; message: string } {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const path = field ? `${field}.${key}` : key;
    return { field: path, message: `${path} is not a known field` };
  }
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    return { field, message: `${field} is required` };
  }
  const message = issue.message.replace(/^Invalid input: /, "");
  return { field, message: field ? `${field}: ${message}` : message };
}

/**
 * How deep objects and arrays may nest in a request body. Connector configs need two levels and
 * record schemas a few dozen; the walks over a body (redaction, merge patch, serialising) recurse,
 * so a body nested thousands of levels deep would overflow the stack before any of them answered.
 */
export const MAX_NESTING = 64;

const MAX_PATH_SHOWN = 200;

/**
 * A ValidationError when objects and arrays in `value` nest more than MAX_NESTING levels deep,
 * or a key or string in it is not valid Unicode (a lone surrogate, which every store would write
 * as U+FFFD, so two different values would be stored as one). Iterative: safe at any depth.
 */
export function requireSound(value: unknown, what = "request body"): void {
  const pending: [unknown, number, string][] = [[value, 0, ""]];
  const illFormed = (path: string) =>
    new ValidationError(`${what} holds a string that is not valid Unicode (a lone surrogate)${path ? ` at ${path.slice(0, MAX_PATH_SHOWN)}` : ""}`, path.slice(0, MAX_PATH_SHOWN) || undefined);
  while (pending.length > 0) {
    const [item, depth, path] = pending.pop()!;
    if (typeof item === "string") {
      if (!item.isWellFormed()) throw illFormed(path);
      continue;
    }
    if (item === null || typeof item !== "object") continue;
    if (depth >= MAX_NESTING) {
      throw new ValidationError(`${what} nests objects and arrays more than ${MAX_NESTING} levels deep (the limit)`, undefined, { limit: MAX_NESTING });
    }
    for (const [key, child] of Object.entries(item)) {
      const at = path && path.length < MAX_PATH_SHOWN ? `${path}.${key}` : path || key;
      if (!key.isWellFormed()) throw illFormed(at);
      if (typeof child === "string" || (child !== null && typeof child === "object")) pending.push([child, depth + 1, at]);
    }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A request body that must be a JSON object. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new ValidationError("request body must be a JSON object");
  return body;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
  const { field, message } = describe(issue, path);
  throw new ValidationError(message, field || undefined);
}
