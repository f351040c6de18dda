// Ids in paths and queries. Every id Sluice hands out is 1–128 letters, digits, `_` or `-`, so
// anything else names nothing: a 404 before it reaches DynamoDB, which answers a key over its
// size limit with an error of its own (a 500 here).
import type { Context } from "hono";
import { NotFoundError } from "../errors.js";

export const ID = /^[A-Za-z0-9_-]{1,128}$/;

function checked(id: string, resource: string): string {
  if (!ID.test(id)) throw new NotFoundError(resource, id.length > 128 ? `${id.slice(0, 128)}…` : id);
  return id;
}

/** The path parameter `name`, an id of `resource` (named in the 404). */
export function idParam(c: Context, name: string, resource: string): string {
  return checked(c.req.param(name) ?? "", resource);
}

/** An optional id in the query string (`?connector_id=`); empty is absent. */
export function idQuery(c: Context, name: string, resource: string): string | undefined {
  const id = c.req.query(name);
  return id ? checked(id, resource) : undefined;
}
