// Collects the dead-letter entries of one ingestion or pull run, numbered in the order they were
// found, and writes them in batches as the caller flushes (between record batches).
import type { IngestionRepository } from "./ingestionRepository.js";
import type { DeadLetterEntry, DeadLetterInput } from "./types.js";

export class DeadLetterSink {
  private buffer: DeadLetterEntry[] = [];
  private seq = 0;

  constructor(
    private readonly repository: IngestionRepository,
    private readonly tenant: string,
    private readonly ownerId: string,
    private readonly now: () => Date = () => new Date(),
    /** Entries are numbered after this one: a resumed pull's partition continues its numbering. */
    firstSeq = 0,
  ) {
    this.seq = firstSeq;
    this.first = firstSeq;
  }

  private readonly first: number;

  /** Entries added so far. */
  get count(): number {
    return this.seq - this.first;
  }

  /** Entries added since the last flush. */
  get pending(): number {
    return this.buffer.length;
  }

  add(entry: DeadLetterInput): void {
    this.buffer.push({ ingestion_id: this.ownerId, seq: ++this.seq, ...entry, created_at: this.now().toISOString() });
  }

  /** Writes what was added since the last flush. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const entries = this.buffer;
    this.buffer = [];
    await this.repository.writeDeadLetters(this.tenant, entries);
  }
}
