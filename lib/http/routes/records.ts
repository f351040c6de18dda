// Record reads: what pulls and pushes stored, by collection and record type.
import { Hono } from "hono";
import type { RecordStore } from "../../records/contract.js";
import { queryLimit } from "../body.js";
import type { AppEnv } from "../types.js";

export function recordRoutes(records: RecordStore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const scope = (tenant: string, collection: string, record_type: string) => ({ tenant, collection, record_type });

  app.get("/records/:collection/:recordType", async (c) => {
    const page = await records.list(scope(c.get("principal").tenant, c.req.param("collection"), c.req.param("recordType")), {
      limit: queryLimit(c.req.query("limit")),
      cursor: c.req.query("cursor"),
    });
    return c.json(page);
  });

  app.get("/records/:collection/:recordType/:sourceId{.+}", async (c) => {
    const record = await records.get(
      scope(c.get("principal").tenant, c.req.param("collection"), c.req.param("recordType")),
      c.req.param("sourceId"),
    );
    return c.json(record);
  });
  return app;
}
