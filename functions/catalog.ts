// Lambda: the catalog route group (metadata sync, catalog, sync history, dbt manifests, health).
// A sync is begun here and handed to the worker function by an asynchronous invoke.
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["catalog"]));
