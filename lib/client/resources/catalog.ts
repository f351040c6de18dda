// client.catalog and client.syncHistory: what metadata syncs and dbt imports found, and the
// record of each sync and import.
import { everyItem } from "../pagination.js";
import { unwrap, type ApiClient } from "../transport.js";
import type { CatalogEntry, CatalogList, CatalogQuery, SyncHistory as SyncHistoryPage, SyncHistoryQuery, SyncRecord } from "../types.js";

export class Catalog {
  constructor(private readonly api: ApiClient) {}

  /** One page of entries (`connector_id`, `q` name search, `limit`, `cursor`). */
  list(query: CatalogQuery = {}): Promise<CatalogList> {
    return unwrap(this.api.GET("/api/v1/catalog", { params: { query } }));
  }

  iterate(query: Omit<CatalogQuery, "cursor"> = {}): AsyncGenerator<CatalogEntry> {
    return everyItem((cursor) => this.list({ ...query, cursor }));
  }

  get(entryId: string): Promise<CatalogEntry> {
    return unwrap(this.api.GET("/api/v1/catalog/{entryId}", { params: { path: { entryId } } }));
  }
}

export class SyncHistory {
  constructor(private readonly api: ApiClient) {}

  /** One page of syncs and imports, newest first (`connector_id`, `limit`, `cursor`), plus `total`. */
  list(query: SyncHistoryQuery = {}): Promise<SyncHistoryPage> {
    return unwrap(this.api.GET("/api/v1/sync-history", { params: { query } }));
  }

  iterate(query: Omit<SyncHistoryQuery, "cursor"> = {}): AsyncGenerator<SyncRecord> {
    return everyItem((cursor) => this.list({ ...query, cursor }));
  }

  get(id: string): Promise<SyncRecord> {
    return unwrap(this.api.GET("/api/v1/sync-history/{id}", { params: { path: { id } } }));
  }
}
