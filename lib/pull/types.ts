import type { KeyPosition, KeyRange } from "../sources/contract.js";
import type { SourceErrorType } from "../sources/errors.js";

export type RunTrigger = "manual" | "schedule";
export type RunStatus = "running" | "completed" | "failed" | "skipped";

export interface RunError {
  type: SourceErrorType | "internal_error" | "lease_lost" | "invocation_limit";
  message: string;
  code?: string;
}

/** A pull's entry in the sync history. */
export interface RunRecord {
  run_id: string;
  connector_id: string;
  tenant: string;
  trigger: RunTrigger;
  status: RunStatus;
  records_pulled: number;
  records_uploaded: number;
  duplicates_skipped: number;
  records_rejected: number;
  started_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  /** The `:last_pull` this run read from (null on a first pull). */
  last_pull: string | null;
  error: RunError | null;
  /** Why a run was skipped (scheduled trigger while another pull held the lease). */
  reason?: string;
  /** When the worker function took the run (AWS); a repeated delivery finds it set. */
  worker_started_at?: string;
  /** The rows the source expects to return, where it can tell cheaply (the planner's estimate). */
  records_estimate?: number | null;
  /** Batches stored and checkpointed, over all partitions. */
  chunks_done?: number;
  /** Whether the rows are read in key order (so a resume continues after the last stored key). */
  ordered?: boolean;
  /** The checkpoint: each partition's key range and how far it has come, by index ("0", "1", …). */
  partitions?: Record<string, PartitionState>;
  /** Worker invocations the run has taken (AWS; each continuation adds one). */
  invocations?: number;
  /** Times the run was resumed after an interruption (deadline, crash, lost lease). */
  resumes?: number;
}

export type PartitionStatus = "pending" | "running" | "completed" | "failed";

/** One key range of a run and its checkpoint: its counts so far and the position to resume from. */
export interface PartitionState {
  range: KeyRange;
  status: PartitionStatus;
  /** The key of the last row stored; absent until a batch is stored. */
  position?: KeyPosition;
  chunks_done: number;
  records_pulled: number;
  records_uploaded: number;
  duplicates_skipped: number;
  records_rejected: number;
  /** Tries of this partition that failed and were retried. */
  attempts: number;
  /** Who is reading the partition now, until when (epoch ms): a claim another worker waits out. */
  claimed_by?: string | null;
  claimed_until?: number;
  error?: RunError | null;
}

/** The counts a run and each of its partitions keep. */
export const RUN_COUNTS = ["records_pulled", "records_uploaded", "duplicates_skipped", "records_rejected"] as const;
export type RunCounts = Record<(typeof RUN_COUNTS)[number], number>;
