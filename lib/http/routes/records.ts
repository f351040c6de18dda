// Record reads: what pulls and pushes stored, by collection and record type.
import { Hono } from "hono";
import type { RecordStore } from "../../records/contract.js";
import { queryLimit } from "../body.js";
import type { AppEnv } from "../types.js";
import { pushScope } from "./ingest.js";

export function recordRoutes(records: RecordStore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The scope is checked as a push checks it: a name no push can write is a 400, not a store key
  // past DynamoDB's size limit (an error of its own, a 500).
  app.get("/records/:collection/:recordType", async (c) => {
    const page = await records.list(pushScope(c), { limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") });
    return c.json(page);
  });

  app.get("/records/:collection/:recordType/:sourceId{.+}", async (c) => c.json(await records.get(pushScope(c), c.req.param("sourceId"))));
  return app;
}
