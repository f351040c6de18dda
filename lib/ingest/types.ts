// Shapes of push ingestion: the ingestion record (a push's summary), dead-letter entries, and
// the validation outcome of one incoming record.
import type { RecordInput } from "../records/types.js";

export type IngestionKind = "batch" | "stream" | "webhook";
export type IngestionStatus = "running" | "completed" | "failed";

/** The answer to a push, and what `GET /ingestions/{id}` shows. */
export interface IngestionSummary {
  ingestion_id: string;
  status: IngestionStatus;
  /** NDJSON streams only: lines read, blank ones included. */
  lines?: number;
  /** Records received (for a stream: non-blank lines). */
  record_count: number;
  /** Stored or already stored (duplicates_skipped is part of it). */
  accepted: number;
  /** Dead-letter entries: never stored. */
  rejected: number;
  duplicates_skipped: number;
}

export interface IngestionRecord extends IngestionSummary {
  tenant: string;
  kind: IngestionKind;
  collection: string;
  record_type: string;
  started_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  error: { type: string; message: string } | null;
}

/** One ajv finding: `path` is the JSON pointer inside vertical_data ("" for the whole object). */
export interface SchemaViolation {
  path: string;
  message: string;
}

/** A record that was not stored, and why. */
export interface DeadLetterInput {
  /** NDJSON line number (1-based). */
  line?: number;
  /** Position in a batch's `records` array (0-based). */
  index?: number;
  /** Row number within a pull (1-based). */
  row?: number;
  source_id?: string | null;
  error: string;
  schema_errors?: SchemaViolation[];
  /** The start of what was sent, so the sender can find it. */
  excerpt?: string;
}

export interface DeadLetterEntry extends DeadLetterInput {
  /** The ingestion or pull run the entry belongs to. */
  ingestion_id: string;
  seq: number;
  created_at: string;
}

/** A record ready to store, or the reason it is not. */
export type Screened = { record: RecordInput } | { reject: Omit<DeadLetterInput, "line" | "index" | "row"> };
