// Lambda: the webhooks route group (HMAC-signed pushes, the tenant's webhook secret). API
// Gateway may hand the body over base64-encoded; hono decodes it to the raw bytes that are signed.
import { handle } from "hono/aws-lambda";
import { createApp } from "../lib/http/app.js";
import { awsServices } from "../lib/runtime/aws.js";

export const handler = handle(createApp(awsServices(), ["webhooks"]));
