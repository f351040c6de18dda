// Pulled records are screened like pushed ones: the collection's schema is looked up once per
// pull, and rows that fail it (or have no name) become dead-letter entries of the run, read
// with GET /ingestions/{run_id}/errors. Without a schema a pull pays one read, nothing per row.
import type { RecordInput, RecordScope } from "../records/types.js";
import { DeadLetterSink } from "./deadLetters.js";
import type { IngestionRepository } from "./ingestionRepository.js";
import { admitBySchema, excerpt } from "./pushedRecord.js";
import type { SchemaRegistry } from "./schemaRegistry.js";

export interface PullScreen {
  /** Only when the collection has a schema: true to store the record, false when it was rejected. */
  admit: ((record: RecordInput, row: number) => boolean) | undefined;
  /** A row that could not become a record. */
  reject(row: number, error: string): void;
  /** Writes the entries gathered since the last flush (once per batch). */
  flush(): Promise<void>;
}

export class PullScreening {
  constructor(
    private readonly schemas: SchemaRegistry,
    private readonly ingestions: IngestionRepository,
  ) {}

  /** `firstSeq`: entries are numbered after it (each partition of a run has its own range). */
  async open(scope: RecordScope, runId: string, firstSeq = 0): Promise<PullScreen> {
    const validator = await this.schemas.validatorFor(scope);
    const sink = new DeadLetterSink(this.ingestions, scope.tenant, runId, undefined, firstSeq);
    return {
      admit: validator
        ? (record, row) => {
            const screened = admitBySchema(record, validator);
            if ("record" in screened) return true;
            sink.add({ row, ...screened.reject, excerpt: excerpt(JSON.stringify(record)) });
            return false;
          }
        : undefined,
      reject: (row, error) => sink.add({ row, error }),
      flush: () => sink.flush(),
    };
  }
}
