// Lambda: the connectors route group (connector CRUD, connector types, API keys).
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["connectors", "apiKeys"]));
