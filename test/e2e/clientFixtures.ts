// What the SDK and CLI suites share: the real local service, a REST API it pulls from (slowed per
// page when a test wants to watch a pull's progress), and connector bodies against it.
import { startHarness, type Harness } from "../support/harness.js";
import { startRestApiServer, type RestApiServer } from "../support/servers/restApi.js";

export const restCreds = { bearer: "sdk-bearer-S3cret-token", username: "u", password: "sdk-basic-S3cret-pw", apiKeyHeader: "X-Api-Key", apiKey: "sdk-apikey-S3cret" };
export const PRODUCTS = 45;

export interface ClientFixture {
  h: Harness;
  api: RestApiServer;
  close(): Promise<void>;
}

export async function startClientFixture(): Promise<ClientFixture> {
  const api = await startRestApiServer(restCreds);
  api.seed(PRODUCTS, 3600);
  const h = await startHarness({ PULL_OVERLAP_SECONDS: "0" });
  return { h, api, close: async () => Promise.all([h.close(), api.stop()]).then(() => undefined) };
}

let made = 0;

/** A rest_api connector reading the 45 products, 10 a page; `bearer` wrong makes its pulls fail. */
export function restConnector(api: RestApiServer, options: { bearer?: string; batchSize?: number } = {}) {
  const n = ++made;
  return {
    name: `rest products ${n}`,
    connector_type: "rest_api",
    collection: `sdk_${n}`,
    record_type: "product",
    connection_config: { base_url: `${api.url}/bearer`, auth_type: "bearer", auth_token: options.bearer ?? restCreds.bearer, test_path: "/health" },
    query: JSON.stringify({ path: "/json_link/items", data_selector: "data", paginator: { type: "json_link", next_url_path: "links.next" } }),
    id_column: "id",
    batch_size: options.batchSize ?? 10,
  };
}

/** Slows each of the next `pages` page requests of the connector's path, so a pull takes a while. */
export function slowPages(api: RestApiServer, pages: number, delayMs: number): void {
  api.fault("/bearer/json_link/items", ...Array.from({ length: pages }, () => ({ delayMs })));
}

/** The error a call threw, to assert its fields. */
export async function failure(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}
