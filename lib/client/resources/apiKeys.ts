// client.apiKeys: the tenant's API keys (owner keys only). A new key is shown once, on create.
import { unwrap, type ApiClient } from "../transport.js";
import type { ApiKeyCreate, CreatedApiKey } from "../types.js";

export class ApiKeys {
  constructor(private readonly api: ApiClient) {}

  create(body: ApiKeyCreate): Promise<CreatedApiKey> {
    return unwrap(this.api.POST("/api/v1/api-keys", { body }));
  }

  /** Every key of the tenant, without the keys themselves. */
  list() {
    return unwrap(this.api.GET("/api/v1/api-keys", {}));
  }

  async revoke(keyId: string): Promise<void> {
    await unwrap(this.api.DELETE("/api/v1/api-keys/{keyId}", { params: { path: { keyId } } }));
  }
}

export type ApiKeyList = Awaited<ReturnType<ApiKeys["list"]>>;
