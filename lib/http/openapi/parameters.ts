// Parameters many routes share, as zod schemas for the OpenAPI document: path ids, the
// (collection, record_type) scope and the page query. They mirror lib/http/params.ts and body.ts.
import { z } from "zod";
import { ID } from "../params.js";
import { identifier } from "../routes/ingest.js";
import { spaceSchema } from "../../connectors/spaces.js";

export const idSchema = z.string().regex(ID).describe("an id Sluice handed out (anything else is a 404)");

export const pageQuery = {
  limit: z.number().int().min(1).max(100).default(50).optional().describe("items per page"),
  cursor: z.string().optional().describe("next_cursor of the previous page"),
};

export const scopeParams = {
  collection: { description: "the collection", schema: identifier },
  recordType: { description: "the record type", schema: identifier },
};

export const spaceParams = { slug: { description: "the space's slug (Qarion's space routes)", schema: spaceSchema } };
