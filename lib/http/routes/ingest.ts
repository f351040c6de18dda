// Push ingestion routes (the "ingest" group): a JSON batch, an NDJSON stream, and the
// summaries and dead-letter entries of pushes and pull runs.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { UnsupportedMediaTypeError } from "../../errors.js";
import type { IngestionRepository } from "../../ingest/ingestionRepository.js";
import type { IngestService } from "../../ingest/ingestService.js";
import type { RunRepository } from "../../pull/runRepository.js";
import type { RecordScope } from "../../records/types.js";
import { parseWith } from "../../validation.js";
import { decodeJsonBytes, parseJsonText, queryLimit, readJsonBytes, requireUtf8Charset } from "../body.js";
import type { AppEnv } from "../types.js";
import { idParam } from "../params.js";
import { withoutTenant } from "../view.js";

export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "use 1-128 characters of letters, digits, _ . and -, starting with a letter or digit");

/** The (collection, record_type) a route names, checked like a connector's. */
export function pushScope(c: Context<AppEnv>): RecordScope {
  const { collection, recordType } = c.req.param() as { collection: string; recordType: string };
  return {
    tenant: c.get("principal").tenant,
    collection: parseWith(identifier, collection, "collection"),
    record_type: parseWith(identifier, recordType, "record_type"),
  };
}

export const batchBody = z.object({ records: z.array(z.unknown()).min(1, "records must hold at least one record") });

/** A `{records: [...]}` body already read as bytes (the webhook verifies them first). */
export function parseBatch(bytes: Uint8Array): unknown[] {
  return parseWith(batchBody, parseJsonText(decodeJsonBytes(bytes))).records;
}

const ndjsonType = /^application\/(x-)?(ndjson|jsonl|jsonlines)\b/i;

export interface IngestRouteDeps {
  ingest: IngestService;
  ingestions: IngestionRepository;
  runs: RunRepository;
  maxBodyBytes: number;
}

export function ingestRoutes(deps: IngestRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/ingest/:collection/:recordType/batch", async (c) => {
    const scope = pushScope(c);
    const bytes = await readJsonBytes(c, deps.maxBodyBytes);
    return c.json(await deps.ingest.batch(scope, "batch", parseBatch(bytes), bytes.byteLength));
  });

  app.post("/ingest/:collection/:recordType/stream", async (c) => {
    const scope = pushScope(c);
    const type = c.req.header("content-type") ?? "";
    if (!ndjsonType.test(type)) {
      throw new UnsupportedMediaTypeError(`Content-Type must be application/x-ndjson, got ${type ? JSON.stringify(type) : "none"}`);
    }
    requireUtf8Charset(type);
    return c.json(await deps.ingest.stream(scope, c.req.raw.body));
  });

  app.get("/ingestions/:id", async (c) => {
    const view = withoutTenant(await deps.ingestions.get(c.get("principal").tenant, idParam(c, "id", "ingestion")));
    return c.json(view);
  });

  // Pull runs keep their rejected rows here too, under the run id.
  app.get("/ingestions/:id/errors", async (c) => {
    const tenant = c.get("principal").tenant;
    const id = idParam(c, "id", "ingestion");
    if (id.startsWith("run_")) await deps.runs.get(tenant, id);
    else await deps.ingestions.get(tenant, id);
    return c.json(await deps.ingestions.listDeadLetters(tenant, id, { limit: queryLimit(c.req.query("limit")), cursor: c.req.query("cursor") }));
  });

  return app;
}
