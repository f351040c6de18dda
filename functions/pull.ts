// Lambda: `POST /connectors/{id}/pull`. The pull is begun here (lease, run record) and handed to
// the worker function by an asynchronous invoke; the answer waits on the run record.
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["pulls"]));
