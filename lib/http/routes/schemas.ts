// Record schemas (the "ingest" group): a JSON Schema (draft 2020-12) per collection and record
// type, describing a record's vertical_data. Pushed and pulled records are checked against it.
import { Hono } from "hono";
import { z } from "zod";
import type { SchemaRegistry } from "../../ingest/schemaRegistry.js";
import { parseWith } from "../../validation.js";
import { readJson } from "../body.js";
import type { AppEnv } from "../types.js";
import { pushScope } from "./ingest.js";

/** Room for a large schema, well under DynamoDB's 400 KB item. */
const MAX_SCHEMA_BYTES = 256 * 1024;

export const putBody = z
  .object({ schema: z.union([z.record(z.string(), z.unknown()), z.boolean()], { error: 'the body must be {"schema": <JSON Schema>}' }) })
  .strict();

export function schemaRoutes(schemas: SchemaRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.put("/schemas/:collection/:recordType", async (c) => {
    const scope = pushScope(c);
    const { schema } = parseWith(putBody, await readJson(c, MAX_SCHEMA_BYTES));
    const { view, created } = await schemas.put(scope, schema);
    return c.json(view, created ? 201 : 200);
  });

  app.get("/schemas/:collection/:recordType", async (c) => c.json(await schemas.get(pushScope(c))));

  app.delete("/schemas/:collection/:recordType", async (c) => {
    await schemas.remove(pushScope(c));
    return c.body(null, 204);
  });

  return app;
}
