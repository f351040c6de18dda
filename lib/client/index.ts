// `sluice/client`: the typed TypeScript SDK of the Sluice API.
//   import { Sluice } from "sluice/client";
//   const sluice = new Sluice({ baseUrl: "http://127.0.0.1:3000", apiKey: process.env.SLUICE_KEY! });
export { Sluice, type SluiceOptions } from "./sluice.js";
export { SluiceConnectionError, SluiceError, SluiceFileNotFoundError, type ErrorBody } from "./errors.js";
export { RunWaitTimeoutError, type WaitOptions } from "./resources/runs.js";
export type { PullOptions } from "./resources/connectors.js";
export type { StreamOptions } from "./resources/ingest.js";
export type { WebhookSendOptions } from "./resources/webhooks.js";
export type { NdjsonItem } from "./ndjson.js";
export type { Space, SpaceConnector, SpaceConnectors } from "./resources/spaces.js";
export type { ApiKeyList } from "./resources/apiKeys.js";
export type { RetryOptions } from "./transport.js";
export type { paths } from "./paths.js";
export type * from "./types.js";
