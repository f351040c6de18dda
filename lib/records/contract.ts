// The records contract: what the pull, ingest and read paths ask of the data plane. Two
// adapters implement it — DynamoDB (AWS, DynamoDB Local, dynalite) and SQLite (the local
// default) — and one contract suite runs unchanged on each, so the API cannot tell them apart.
import type { Page } from "../store/cursor.js";
import type { PreparedBatch } from "./prepare.js";
import type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";

export interface RecordStore {
  /** Which adapter this is, for logs and the local runtime's start message. */
  readonly kind: "sqlite" | "dynamodb";
  /**
   * Validates every record first (a batch with an invalid record is refused whole with a
   * ValidationError, nothing written), then writes those whose content hash differs from the
   * stored one, keeping `created_at`. Of a source_id sent twice in one batch the last is stored;
   * an earlier one identical to it counts as a duplicate, a different one is not counted.
   * A record stored unchanged by the same pull run (`origin.kind` "pull", same `origin.id`)
   * counts as uploaded, not as a duplicate: a run resumed after an interruption reads again
   * what it stored after its last checkpoint, and its counts stay those of one pass.
   */
  upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult>;
  /**
   * upsert() of a batch already prepared (prepareBatch): the pull prepares — canonical JSON and
   * content hash — while the previous batch is written, and leaves out what cannot be stored.
   */
  write(scope: RecordScope, batch: PreparedBatch, origin: RecordOrigin): Promise<UpsertResult>;
  /** NotFoundError when there is no such record (or the id is one no record can have). */
  get(scope: RecordScope, sourceId: string): Promise<StoredRecord>;
  /**
   * In source_id order (UTF-8 bytes), `limit` at most; the cursor resumes within the same scope
   * only: another scope's, a forged or a malformed cursor is a ValidationError (400).
   */
  list(scope: RecordScope, options: ListOptions): Promise<Page<StoredRecord>>;
  /** Releases what the adapter holds open (the SQLite file); the store is unusable after. */
  close(): Promise<void>;
}
