// The write side of one ingestion: screened records are gathered into batches and upserted
// with at most `maxInFlight` batches being written; `accept` waits while that many are pending,
// which is what pauses a stream's reader. Dead-letter entries are written with the batches.
// The ingestion record is written when the first record arrives and again at the end.
import { contentHash } from "../records/contentHash.js";
import type { RecordStore } from "../records/contract.js";
import { HASH_KEY_PREFIX } from "../records/prepare.js";
import type { RecordInput, RecordScope } from "../records/types.js";
import { newId } from "../store/ids.js";
import { DeadLetterSink } from "./deadLetters.js";
import { IngestionFailedError } from "./errors.js";
import type { IngestionRepository } from "./ingestionRepository.js";
import type { DeadLetterInput, IngestionKind, IngestionRecord, IngestionSummary } from "./types.js";

export interface PipelineDeps {
  records: RecordStore;
  ingestions: IngestionRepository;
  now?: () => Date;
}

export interface PipelineOptions {
  batchSize: number;
  maxInFlight: number;
}

interface Flight {
  keys: Set<string>;
  done: Promise<void>;
}

export function summaryOf(ingestion: IngestionRecord): IngestionSummary {
  const { ingestion_id, status, lines, record_count, accepted, rejected, duplicates_skipped } = ingestion;
  return { ingestion_id, status, ...(lines === undefined ? {} : { lines }), record_count, accepted, rejected, duplicates_skipped };
}

export class IngestionPipeline {
  readonly ingestion: IngestionRecord;
  private readonly deadLetters: DeadLetterSink;
  private readonly now: () => Date;
  private batch: RecordInput[] = [];
  private batchKeys = new Set<string>();
  private readonly inFlight = new Set<Flight>();
  private started: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly scope: RecordScope,
    kind: IngestionKind,
    private readonly options: PipelineOptions,
  ) {
    this.now = deps.now ?? (() => new Date());
    const id = newId("ing");
    this.ingestion = {
      ingestion_id: id,
      tenant: scope.tenant,
      kind,
      collection: scope.collection,
      record_type: scope.record_type,
      status: "running",
      ...(kind === "stream" ? { lines: 0 } : {}),
      record_count: 0,
      accepted: 0,
      rejected: 0,
      duplicates_skipped: 0,
      started_at: this.now().toISOString(),
      completed_at: null,
      duration_seconds: null,
      error: null,
    };
    this.deadLetters = new DeadLetterSink(deps.ingestions, scope.tenant, id, this.now);
  }

  async accept(record: RecordInput): Promise<void> {
    await this.ready();
    this.ingestion.record_count++;
    this.batch.push(record);
    // A keyless record is keyed by its content hash, so an identical one in a batch written
    // at the same time must wait too, or neither write sees the other and no duplicate is counted.
    this.batchKeys.add(record.source_id ?? `${HASH_KEY_PREFIX}${contentHash(record.name, record.vertical_data)}`);
    if (this.batch.length >= this.options.batchSize) await this.launch();
  }

  async reject(entry: DeadLetterInput): Promise<void> {
    await this.ready();
    this.ingestion.record_count++;
    this.ingestion.rejected++;
    this.deadLetters.add(entry);
    // A stream of nothing but bad lines must not hold its entries in memory either.
    if (this.deadLetters.pending >= this.options.batchSize) await this.launch();
  }

  /** Writes what is left, saves the final record; IngestionFailedError if a write failed. */
  async finish(): Promise<IngestionSummary> {
    await this.launch();
    await this.settle();
    if (this.failure !== undefined) return this.fail("store_error", "storing failed; see the service log", "store", this.failure);
    this.complete("completed");
    await this.deps.ingestions.save(this.ingestion);
    return summaryOf(this.ingestion);
  }

  /** The request body broke off (client gone, bad framing): keeps what was stored, says so. */
  async abort(message: string, cause: unknown): Promise<never> {
    await this.settle();
    return this.fail("body_interrupted", message, "body", cause);
  }

  /** Something of ours other than a write failed mid-way: keeps what was stored, says so. */
  async crash(cause: unknown): Promise<never> {
    await this.settle();
    return this.fail("store_error", "storing failed; see the service log", "store", cause);
  }

  private async fail(type: string, message: string, reason: "store" | "body", cause: unknown): Promise<never> {
    this.complete("failed");
    this.ingestion.error = { type, message };
    if (this.started) await this.deps.ingestions.save(this.ingestion);
    throw new IngestionFailedError(summaryOf(this.ingestion), reason, { cause });
  }

  private complete(status: "completed" | "failed"): void {
    const completed = this.now();
    this.ingestion.status = status;
    this.ingestion.completed_at = completed.toISOString();
    this.ingestion.duration_seconds = (completed.getTime() - new Date(this.ingestion.started_at).getTime()) / 1000;
  }

  private ready(): Promise<void> {
    if (this.failure !== undefined) throw new IngestionFailedError(summaryOf(this.ingestion), "store", { cause: this.failure });
    return (this.started ??= this.deps.ingestions.save({ ...this.ingestion }));
  }

  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((flight) => flight.done));
  }

  private async launch(): Promise<void> {
    const records = this.batch;
    const keys = this.batchKeys;
    if (records.length === 0 && this.deadLetters.pending === 0) return;
    this.batch = [];
    this.batchKeys = new Set();
    // A source_id still being written by an earlier batch: let that write land first, so the
    // record sent later is the one stored.
    for (const flight of this.inFlight) {
      for (const key of flight.keys) {
        if (keys.has(key)) {
          await flight.done;
          break;
        }
      }
    }
    while (this.inFlight.size >= this.options.maxInFlight) await Promise.race([...this.inFlight].map((flight) => flight.done));
    // Nothing is written after a failed write: the summary's `accepted` stays exact.
    if (this.failure !== undefined) return;
    const flight: Flight = { keys, done: Promise.resolve() };
    flight.done = this.write(records).finally(() => this.inFlight.delete(flight));
    this.inFlight.add(flight);
  }

  /** Never rejects: the first failure is kept and ends the ingestion. */
  private async write(records: RecordInput[]): Promise<void> {
    try {
      const origin = { kind: "push" as const, id: this.ingestion.ingestion_id };
      const [result] = await Promise.all([
        records.length ? this.deps.records.upsert(this.scope, records, origin) : { uploaded: 0, duplicates: 0 },
        this.deadLetters.flush(),
      ]);
      this.ingestion.accepted += records.length;
      this.ingestion.duplicates_skipped += result.duplicates;
    } catch (error) {
      this.failure ??= error;
    }
  }
}
