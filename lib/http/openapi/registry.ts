// What the OpenAPI document says of one route: the route groups' registries (routes/*.ts) list
// every route createApp mounts, with the zod schemas of what it takes and answers.
import type { z } from "zod";

export const API = "/api/v1";

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseDoc {
  description: string;
  /** The JSON body; absent for a response without one (204, a redirect) or with `contentType`. */
  schema?: z.ZodType;
  /** A body that is not JSON (HTML, JavaScript, CSS), checked by its content type only. */
  contentType?: string | string[];
}

export interface OperationDoc {
  method: Method;
  /** As Hono mounts it: `/api/v1/connectors/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Answered without an API key. */
  public?: true;
  /** Descriptions of the path parameters (each is an id unless said otherwise). */
  pathParams?: Record<string, { description: string; schema?: z.ZodType }>;
  /** The query parameters, one per property. */
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentType?: string; description?: string; required?: boolean };
  /** Success responses by status; the error responses are added from `errors` and the route's shape. */
  responses: Record<number, ResponseDoc>;
  /** Error statuses beyond those every route of its kind has (see document.ts). */
  errors?: number[];
}
