// client.records: what pulls and pushes stored, one record, one page, or every record in turn.
import { everyItem, everyPage } from "../pagination.js";
import { unwrap, type ApiClient } from "../transport.js";
import type { PageQuery, RecordList, StoredRecord } from "../types.js";

export class Records {
  constructor(private readonly api: ApiClient) {}

  get(collection: string, recordType: string, sourceId: string): Promise<StoredRecord> {
    return unwrap(this.api.GET("/api/v1/records/{collection}/{recordType}/{sourceId}", { params: { path: { collection, recordType, sourceId } } }));
  }

  list(collection: string, recordType: string, query: PageQuery = {}): Promise<RecordList> {
    return unwrap(this.api.GET("/api/v1/records/{collection}/{recordType}", { params: { path: { collection, recordType }, query } }));
  }

  /** Every page, fetched when the previous one has been consumed. */
  pages(collection: string, recordType: string, query: PageQuery = {}): AsyncGenerator<RecordList> {
    return everyPage((cursor) => this.list(collection, recordType, { ...query, cursor }), query.cursor);
  }

  /** Every record of the collection's record type: `for await (const record of …)`. */
  iterate(collection: string, recordType: string, query: PageQuery = {}): AsyncGenerator<StoredRecord> {
    return everyItem((cursor) => this.list(collection, recordType, { ...query, cursor }), query.cursor);
  }
}
