// The OpenAPI registry of the data routes: push ingestion (batch, NDJSON stream, signed
// webhook), record schemas, ingestions with their dead-letter entries, and record reads.
import { z } from "zod";
import { batchBody } from "../../routes/ingest.js";
import { putBody } from "../../routes/schemas.js";
import { pageQuery, scopeParams } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { deadLetter, ingestion, ingestionSummary, page, recordSchemaView, storedRecord } from "../schemas.js";

const pushed = z
  .looseObject({
    name: z.string(),
    source_id: z.string().nullable().optional().describe("the upsert key; without it the content hash is"),
    vertical_data: z.record(z.string(), z.unknown()).optional(),
  })
  .describe("a record: every top-level field other than name and source_id moves into vertical_data; an invalid one becomes a dead-letter entry");
const batch = batchBody.extend({ records: z.array(pushed).min(1) });
const summary = { 200: { description: "what was stored, skipped and rejected", schema: ingestionSummary } };
const pushErrors = [413, 415];
const pageOnly = z.object(pageQuery);

export const ingestOperations: OperationDoc[] = [
  { method: "post", path: `${API}/ingest/:collection/:recordType/batch`, tag: "Ingest", summary: "Push a batch of records", pathParams: scopeParams, body: { schema: batch }, responses: summary, errors: pushErrors },
  {
    method: "post", path: `${API}/ingest/:collection/:recordType/stream`, tag: "Ingest", summary: "Push NDJSON, one record a line, streamed",
    pathParams: scopeParams, body: { contentType: "application/x-ndjson", schema: z.string().describe("one JSON record per line") }, responses: summary, errors: pushErrors,
  },
  {
    method: "post", path: `${API}/webhooks/ingest/:collection/:recordType`, tag: "Ingest", summary: "Push a batch signed with HMAC-SHA256",
    description: "`X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>` (of `<timestamp>.<body>` with X-Webhook-Timestamp). A delivery received before is answered as it was, with X-Webhook-Replay: true.",
    pathParams: scopeParams, body: { schema: batch }, responses: summary, errors: [...pushErrors, 409],
  },
  { method: "get", path: `${API}/ingestions/:id`, tag: "Ingest", summary: "A push's summary", responses: { 200: { description: "the ingestion", schema: ingestion } } },
  {
    method: "get", path: `${API}/ingestions/:id/errors`, tag: "Ingest", summary: "Dead-letter entries of a push or a pull run (run_…)",
    query: pageOnly, responses: { 200: { description: "a page of dead-letter entries", schema: page(deadLetter) } },
  },
  {
    method: "put", path: `${API}/schemas/:collection/:recordType`, tag: "Schemas", summary: "Set the JSON Schema of a record type's vertical_data",
    pathParams: scopeParams, body: { schema: putBody }, responses: { 200: { description: "replaced", schema: recordSchemaView }, 201: { description: "created", schema: recordSchemaView } }, errors: [413, 415],
  },
  { method: "get", path: `${API}/schemas/:collection/:recordType`, tag: "Schemas", summary: "The record type's schema", pathParams: scopeParams, responses: { 200: { description: "the schema", schema: recordSchemaView } } },
  { method: "delete", path: `${API}/schemas/:collection/:recordType`, tag: "Schemas", summary: "Remove the record type's schema", pathParams: scopeParams, responses: { 204: { description: "removed" } } },
  { method: "get", path: `${API}/records/:collection/:recordType`, tag: "Records", summary: "Read stored records", pathParams: scopeParams, query: pageOnly, responses: { 200: { description: "a page of records", schema: page(storedRecord) } } },
  {
    method: "get", path: `${API}/records/:collection/:recordType/:sourceId{.+}`, tag: "Records", summary: "One record by source_id (may hold /)",
    pathParams: { ...scopeParams, sourceId: { description: "the record's source_id", schema: z.string() } }, responses: { 200: { description: "the record", schema: storedRecord } },
  },
];
