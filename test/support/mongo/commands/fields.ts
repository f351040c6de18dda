// Reads and type-checks command fields, failing with the codes MongoDB uses for bad input.
import { Long, type Document } from "bson";
import { CommandError, typeMismatch } from "../errors.js";

/** The collection a command names in its first field, e.g. `{ find: "users" }`. */
export function collectionName(command: Document, commandName: string): string {
  const name: unknown = command[commandName];
  if (typeof name !== "string") {
    throw new CommandError(73, "InvalidNamespace", `collection name has invalid type ${typeof name}`);
  }
  if (name === "" || name.includes("\0") || name.startsWith("$")) {
    throw new CommandError(73, "InvalidNamespace", `Invalid collection name: '${name}'`);
  }
  return name;
}

/** Counts arrive as int32, double or (from some callers) int64. */
export function optionalCount(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  const number = Long.isLong(value) ? value.toNumber() : value;
  if (typeof number !== "number" || !Number.isFinite(number)) {
    throw typeMismatch(`Field '${field}' should be a number, is ${typeof value}`);
  }
  if (number < 0) throw new CommandError(51024, "Location51024", `${field} value must be non-negative, but received: ${number}`);
  return Math.trunc(number);
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw typeMismatch(`Field '${field}' should be an object`);
  }
  return value as Document;
}

export function documentArray(command: Document, field: string): Document[] {
  const value: unknown = command[field];
  if (!Array.isArray(value)) throw typeMismatch(`Field '${field}' should be an array`);
  return value as Document[];
}

/** Moves _id to the front, where MongoDB always keeps it. */
export function idFirst(doc: Document): Document {
  if (!("_id" in doc) || Object.keys(doc)[0] === "_id") return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}
