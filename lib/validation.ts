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
