// The SDK's entry point: one authenticated, retrying client per service, its resources as fields.
import { ApiKeys } from "./resources/apiKeys.js";
import { Catalog, SyncHistory } from "./resources/catalog.js";
import { Connectors } from "./resources/connectors.js";
import { Ingest } from "./resources/ingest.js";
import { Records } from "./resources/records.js";
import { Runs } from "./resources/runs.js";
import { Schemas } from "./resources/schemas.js";
import { Space } from "./resources/spaces.js";
import { Webhooks } from "./resources/webhooks.js";
import { createApiClient, type ApiClient, type TransportOptions } from "./transport.js";

export type SluiceOptions = TransportOptions;

export class Sluice {
  readonly connectors: Connectors;
  readonly runs: Runs;
  readonly records: Records;
  readonly ingest: Ingest;
  readonly webhooks: Webhooks;
  readonly apiKeys: ApiKeys;
  readonly schemas: Schemas;
  readonly catalog: Catalog;
  readonly syncHistory: SyncHistory;
  /** The typed openapi-fetch client underneath, for routes the resources do not cover. */
  readonly api: ApiClient;

  constructor(options: SluiceOptions) {
    this.api = createApiClient(options);
    this.runs = new Runs(this.api);
    this.connectors = new Connectors(this.api, this.runs);
    this.records = new Records(this.api);
    this.ingest = new Ingest(this.api);
    this.webhooks = new Webhooks(this.api);
    this.apiKeys = new ApiKeys(this.api);
    this.schemas = new Schemas(this.api);
    this.catalog = new Catalog(this.api);
    this.syncHistory = new SyncHistory(this.api);
  }

  /** Qarion's space-scoped routes: `sluice.space("marketing-analytics").connectors.list()`. */
  space(slug: string): Space {
    return new Space(this.api, slug);
  }
}
