import type { SourceErrorType } from "../sources/errors.js";

export type RunTrigger = "manual" | "schedule";
export type RunStatus = "running" | "completed" | "failed" | "skipped";

export interface RunError {
  type: SourceErrorType | "internal_error" | "lease_lost";
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
}
