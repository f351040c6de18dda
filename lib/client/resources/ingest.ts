// client.ingest: push records as a JSON batch or as an NDJSON stream drawn from an (async)
// iterable with backpressure; read a push's summary and its dead-letter entries.
import { ndjsonBody, type NdjsonItem } from "../ndjson.js";
import { everyItem } from "../pagination.js";
import { unwrap, type ApiClient } from "../transport.js";
import type { DeadLetterList, IngestBatch, IngestSummary, Ingestion, PageQuery, StreamSummary } from "../types.js";

export interface StreamOptions {
  /** Called with the bytes sent so far, as the connection takes them. */
  onBytes?: (sent: number) => void;
}

export class Ingest {
  constructor(private readonly api: ApiClient) {}

  /** A batch of records (`{name, source_id?, vertical_data?, …}`), at most the service's INGEST_MAX_RECORDS. */
  batch(collection: string, recordType: string, records: IngestBatch["records"]): Promise<IngestSummary> {
    return unwrap(this.api.POST("/api/v1/ingest/{collection}/{recordType}/batch", { params: { path: { collection, recordType } }, body: { records } }));
  }

  /**
   * An NDJSON stream of any length: records (one JSON line each), lines of text, or raw NDJSON
   * bytes (a file's chunks). The source is read only as fast as the service takes the body.
   * Not retried: a stream cannot be replayed (re-sending is safe, stored records count as duplicates).
   */
  async stream(collection: string, recordType: string, source: AsyncIterable<NdjsonItem> | Iterable<NdjsonItem>, options: StreamOptions = {}): Promise<StreamSummary> {
    // When the request ends (answered or broken) the source is released, whatever the connection did with the body.
    const ended = new AbortController();
    const body = ndjsonBody(source, { ...options, signal: ended.signal });
    try {
      return await unwrap(
        this.api.POST("/api/v1/ingest/{collection}/{recordType}/stream", {
          params: { path: { collection, recordType } },
          body: body as never,
          bodySerializer: (stream: unknown) => stream,
          headers: { "content-type": "application/x-ndjson" },
          duplex: "half",
        } as never),
      );
    } finally {
      ended.abort(new Error("the request has ended"));
    }
  }

  /** A push's summary (also a webhook's). */
  get(ingestionId: string): Promise<Ingestion> {
    return unwrap(this.api.GET("/api/v1/ingestions/{id}", { params: { path: { id: ingestionId } } }));
  }

  /** One page of a push's (or a pull run's) dead-letter entries. */
  errors(ingestionId: string, query: PageQuery = {}): Promise<DeadLetterList> {
    return unwrap(this.api.GET("/api/v1/ingestions/{id}/errors", { params: { path: { id: ingestionId }, query } }));
  }

  iterateErrors(ingestionId: string, query: Omit<PageQuery, "cursor"> = {}): AsyncGenerator<DeadLetterList["items"][number]> {
    return everyItem((cursor) => this.errors(ingestionId, { ...query, cursor }));
  }
}
