// Lambda: connector CRUD and types, API keys, connection tests and sync history (the pulls
// group; `POST …/pull` itself is routed to the pull function), catalog, dbt manifests, health.
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["connectors", "apiKeys", "pulls", "catalog"]));
