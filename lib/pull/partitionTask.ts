// One partition of a pull, read by one worker: claim it, read its key range from the checkpoint
// on, and after stored batches save the new position and counts (the checkpoint, which is also
// the live progress) — at most once an interval, and whenever the read stops. A source failure is
// retried from the checkpoint a few times; a deadline near ends the task at a batch boundary for
// a continuation to pick up.
import type { ConnectorItem } from "../connectors/types.js";
import type { PullScreen } from "../ingest/pullScreening.js";
import { prepareBatch, type PreparedBatch } from "../records/prepare.js";
import type { RecordInput } from "../records/types.js";
import type { KeyOrder, KeyRange, Source } from "../sources/contract.js";
import { SourceError } from "../sources/errors.js";
import { DeadlineReached, type Deadline } from "./deadline.js";
import { pump } from "./pump.js";
import { mapRow } from "./recordMapping.js";
import { RUN_COUNTS, type PartitionState, type RunCounts } from "./types.js";

/** Dead-letter entries of partition p are numbered from p × this, so partitions never share a number. */
export const PARTITION_SEQ_SPAN = 1_000_000_000;

export interface PartitionReadDeps {
  connector: ConnectorItem;
  source: Source;
  /** The key order the run was planned with; undefined for an unordered read. */
  order: KeyOrder | undefined;
  state: PartitionState;
  lastPull: Date | null;
  screen: PullScreen | undefined;
  /** Stores a prepared batch (RecordStore.write). */
  write(batch: PreparedBatch): Promise<{ uploaded: number; duplicates: number }>;
  /** Saves the checkpoint after `chunks` stored batches (throws when the claim is lost). */
  checkpoint(at: { position?: PartitionState["position"]; counts: RunCounts; delta: RunCounts; chunks: number }): Promise<void>;
  deadline: Deadline;
  /** Stop this long before the deadline at the least; the slowest batch so far is added twice. */
  marginMs: number;
  /**
   * Save the checkpoint at most this often (0: after every batch). Batches stored since the last
   * one are read again after a crash, which the store makes harmless (an unchanged record stored
   * by the same run counts as uploaded); one write a second instead of one a batch keeps the
   * control table's write from pacing the pull.
   */
  checkpointIntervalMs: number;
  /** Throws when the pull must stop (its lease was lost). */
  check(): void;
}

// SQLSTATE classes of a connection lost or a transaction rolled back by the server, and the
// drivers' codes for a dropped connection: a retry from the checkpoint may well succeed.
const TRANSIENT_CODES = /^(08|40001|40P01|57P0|53)|^(PROTOCOL_CONNECTION_LOST|ECONNRESET|EPIPE|ER_LOCK_DEADLOCK|ER_LOCK_WAIT_TIMEOUT)$/;

/**
 * Whether a failed partition is worth another try from its checkpoint: a lost connection, a
 * timeout, a store hiccup — not a query or a login the server refused, which would fail again.
 */
export function retryable(error: unknown): boolean {
  if (!(error instanceof SourceError)) return true;
  if (error.type === "connection_refused" || error.type === "dns_not_found" || error.type === "timeout") return true;
  if (error.type !== "query_error") return false;
  return error.code !== undefined ? TRANSIENT_CODES.test(error.code) : /connection (terminated|lost|closed|error)|not queryable|ECONNRESET|socket hang up/i.test(error.message);
}

/** Where a partition's read resumes: after its last stored key, within its range. */
export function resumeRange(state: PartitionState): KeyRange {
  if (state.position === undefined) return state.range;
  return state.range.upTo === undefined ? { after: state.position } : { after: state.position, upTo: state.range.upTo };
}

export function countsOf(state: PartitionState): RunCounts {
  return Object.fromEntries(RUN_COUNTS.map((count) => [count, state[count]])) as RunCounts;
}

/** Reads the partition to its end from its checkpoint; throws DeadlineReached when time runs short. */
export async function readPartition(deps: PartitionReadDeps): Promise<void> {
  const { connector, order, screen } = deps;
  const counts = countsOf(deps.state);
  const mapping = { nameColumn: connector.name_column, idColumn: connector.id_column };
  const admit = screen?.admit;
  let seen = counts.records_pulled; // rows mapped so far: map runs a batch ahead of write
  let slowestMs = 0;
  let batchStarted = performance.now();
  // Stored since the last checkpoint: batches, their counts, and the position after them.
  let unsaved = { chunks: 0, delta: zeroCounts(), position: undefined as PartitionState["position"] };
  let savedAt = performance.now();
  const save = async () => {
    if (unsaved.chunks === 0) return;
    const at = { ...unsaved, counts: { ...counts } };
    unsaved = { chunks: 0, delta: zeroCounts(), position: undefined };
    savedAt = performance.now();
    await deps.checkpoint(at);
  };
  const read = deps.source.read(connector.query ?? "", { last_pull: deps.lastPull }, connector.batch_size, order ? { order, range: resumeRange(deps.state) } : undefined);
  try {
    await pump(read, {
      check: () => {
        deps.check();
        if (deps.deadline.remainingMs() < deps.marginMs + 2 * slowestMs) throw new DeadlineReached();
      },
      map: (rows) => {
        const records: RecordInput[] = [];
        const rowOf: number[] = [];
        let rejected = 0;
        for (let i = 0; i < rows.length; i++) {
          const row = seen + i + 1;
          const mapped = mapRow(rows[i]!, mapping);
          if ("record" in mapped) {
            if (admit === undefined || admit(mapped.record, row)) {
              records.push(mapped.record);
              rowOf.push(row);
            } else rejected++;
          } else {
            rejected++;
            screen?.reject(row, mapped.error);
          }
        }
        seen += rows.length;
        // Hashed here, while the previous batch is written; a row the store cannot hold (an id
        // over 1 KB, a record over the item limit) is a dead-letter entry and the pull goes on.
        const batch = prepareBatch(records, (i, error) => {
          rejected++;
          screen?.reject(rowOf[i]!, error.message);
        });
        return { batch, rejected };
      },
      write: async ({ batch, rejected }, rows) => {
        await screen?.flush();
        const result = await deps.write(batch);
        const delta: RunCounts = { records_pulled: rows.length, records_uploaded: result.uploaded, duplicates_skipped: result.duplicates, records_rejected: rejected };
        for (const count of RUN_COUNTS) {
          counts[count] += delta[count];
          unsaved.delta[count] += delta[count];
        }
        unsaved.chunks++;
        if (order) unsaved.position = order.positionOf(rows[rows.length - 1]!);
        const now = performance.now();
        if (now - savedAt >= deps.checkpointIntervalMs) await save();
        slowestMs = Math.max(slowestMs, performance.now() - batchStarted);
        batchStarted = performance.now();
      },
    });
  } catch (error) {
    // What was stored before a deadline or a failure is kept: the retry or continuation starts
    // after it. A checkpoint that fails here (a lost claim) leaves the original error to report.
    await save().catch(() => undefined);
    throw error;
  }
  await save();
}

function zeroCounts(): RunCounts {
  return Object.fromEntries(RUN_COUNTS.map((count) => [count, 0])) as RunCounts;
}
