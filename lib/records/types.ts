// The shapes of the records plane: what a pull or a push hands in, and what is stored.

export interface RecordInput {
  name: string;
  /** Absent or null: the record is keyed by its content hash (`sha256:<hex>`). */
  source_id?: string | null;
  vertical_data: Record<string, unknown>;
}

export interface RecordOrigin {
  kind: "pull" | "push";
  /** run_id of a pull, ingestion_id of a push. */
  id: string;
  connector_id?: string;
}

export interface StoredRecord {
  source_id: string;
  name: string;
  vertical_data: Record<string, unknown>;
  content_hash: string;
  origin: RecordOrigin;
  created_at: string;
  updated_at: string;
}

/** Where records live: a (tenant, collection, record_type); on DynamoDB spread over the scope's shards. */
export interface RecordScope {
  tenant: string;
  collection: string;
  record_type: string;
}

/**
 * Per batch, `uploaded + duplicates + superseded = records.length`, where superseded (not
 * reported) are earlier, different versions of a source_id sent again later in the same batch.
 */
export interface UpsertResult {
  uploaded: number;
  duplicates: number;
}

export interface ListOptions {
  limit: number;
  cursor?: string;
}
