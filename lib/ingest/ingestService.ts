// Push ingestion use cases: a batch of records (the batch endpoint and signed webhooks) and an
// NDJSON stream, each screened record by record (QANATIX rule, store limits, schema) and
// written through one IngestionPipeline; rejected records become dead-letter entries.
import { PayloadTooLargeError, ValidationError } from "../errors.js";
import { MAX_RECORD_BYTES } from "../records/prepare.js";
import type { RecordScope } from "../records/types.js";
import { IngestionFailedError, RequestBodyError } from "./errors.js";
import { ndjsonLines } from "./ndjson.js";
import { IngestionPipeline, type PipelineDeps } from "./pipeline.js";
import { excerpt, excerptOf, screenPushed } from "./pushedRecord.js";
import type { SchemaRegistry } from "./schemaRegistry.js";
import type { IngestionSummary } from "./types.js";

/** A line this long cannot hold a storable record (MAX_RECORD_BYTES); it is not buffered. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface IngestLimits {
  maxRecords: number;
  streamBatchSize: number;
  streamMaxInFlight: number;
}

export interface IngestServiceDeps extends PipelineDeps {
  schemas: SchemaRegistry;
  limits: IngestLimits;
}

export class IngestService {
  constructor(private readonly deps: IngestServiceDeps) {}

  /** `records` from a parsed body of `bodyBytes`; one upsert for every accepted record. */
  async batch(scope: RecordScope, kind: "batch" | "webhook", records: unknown[], bodyBytes: number): Promise<IngestionSummary> {
    const { maxRecords } = this.deps.limits;
    if (records.length > maxRecords) {
      throw new PayloadTooLargeError(`a batch holds at most ${maxRecords} records, got ${records.length}; split it or use the NDJSON stream`, `${maxRecords} records`);
    }
    const validator = await this.deps.schemas.validatorFor(scope);
    const pipeline = new IngestionPipeline(this.deps, scope, kind, { batchSize: maxRecords, maxInFlight: 1 });
    // No record's JSON is larger than the body it came in: a small body needs fewer checks.
    const sizeHint = bodyBytes < MAX_RECORD_BYTES ? bodyBytes : undefined;
    for (let index = 0; index < records.length; index++) {
      const screened = screenPushed(records[index], validator, sizeHint);
      if ("record" in screened) await pipeline.accept(screened.record);
      else await pipeline.reject({ index, ...screened.reject, excerpt: excerptOf(records[index]) });
    }
    return pipeline.finish();
  }

  async stream(scope: RecordScope, body: ReadableStream<Uint8Array> | null): Promise<IngestionSummary> {
    if (!body) throw new ValidationError("request body is empty; send one JSON object per line");
    const validator = await this.deps.schemas.validatorFor(scope);
    const { streamBatchSize, streamMaxInFlight } = this.deps.limits;
    const pipeline = new IngestionPipeline(this.deps, scope, "stream", { batchSize: streamBatchSize, maxInFlight: streamMaxInFlight });
    const { ingestion } = pipeline;
    try {
      for await (const lines of ndjsonLines(body, MAX_LINE_BYTES)) {
        for (const line of lines) {
          ingestion.lines = line.number;
          if ("error" in line) {
            await pipeline.reject({ line: line.number, error: line.error });
            continue;
          }
          if (line.text.trim() === "") continue;
          let value: unknown;
          try {
            value = JSON.parse(line.text);
          } catch (error) {
            await pipeline.reject({ line: line.number, error: `invalid JSON: ${(error as Error).message}`, excerpt: excerpt(line.text) });
            continue;
          }
          const screened = screenPushed(value, validator, line.bytes);
          if ("record" in screened) await pipeline.accept(screened.record);
          else await pipeline.reject({ line: line.number, ...screened.reject, excerpt: excerpt(line.text) });
        }
      }
    } catch (error) {
      // A failed write surfaces at the next accept; finish() records it and throws.
      if (error instanceof IngestionFailedError) return pipeline.finish();
      // Anything else that is not the body's is ours: a 500, with what was stored before it.
      if (!(error instanceof RequestBodyError)) {
        if (ingestion.record_count === 0) throw error;
        return pipeline.crash(error);
      }
      if (ingestion.record_count === 0) throw new ValidationError("the request body broke off before any record was read");
      return pipeline.abort(`the request body broke off after line ${ingestion.lines}`, error);
    }
    if (ingestion.record_count === 0) throw new ValidationError("request body is empty; send one JSON object per line");
    return pipeline.finish();
  }
}
