// Lambda: the ingest route group (JSON batches, NDJSON streams, record schemas, ingestion
// summaries and dead-letter entries, and reading records back).
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["ingest", "records"]));
