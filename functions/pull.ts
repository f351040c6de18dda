// Lambda: the pulls route group (pull now, connection test, sync history, runs). A pull is
// begun here and handed to the worker function by an asynchronous invoke.
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["pulls", "records"]));
