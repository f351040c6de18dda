// The records store on SQLite (better-sqlite3): the local runtime's data plane, one file in the
// data dir. WAL mode, so readers (the API, or `sqlite3` beside the service) never wait for a
// pull's writes; one transaction per batch, so a crash leaves no half batch; and the content-hash
// comparison inside the upsert statement, so an unchanged record costs a key lookup, not a write.
// Writes run on a thread of their own (sqliteWriter.ts), reads on this thread's connection.
// The table is plain SQL with the record's fields as columns, for anyone to open and query.
import Database from "better-sqlite3";
import { NotFoundError } from "../errors.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import type { RecordStore } from "./contract.js";
import { impossibleSourceId, prepareBatch, scopeKey, storedOrigin, validLimit, type PreparedBatch } from "./prepare.js";
import { READER_CACHE_KIB, SqliteWriter } from "./sqliteWriter.js";
import type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  tenant        TEXT NOT NULL,
  collection    TEXT NOT NULL,
  record_type   TEXT NOT NULL,
  source_id     TEXT NOT NULL,
  name          TEXT NOT NULL,
  vertical_data TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  origin_kind   TEXT NOT NULL,
  origin_id     TEXT NOT NULL,
  connector_id  TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (tenant, collection, record_type, source_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sluice_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

const COLUMNS = "source_id, name, vertical_data, content_hash, origin_kind, origin_id, connector_id, created_at, updated_at";

interface Row {
  source_id: string;
  name: string;
  vertical_data: string;
  content_hash: string;
  origin_kind: "pull" | "push";
  origin_id: string;
  connector_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A record as another store kept it, copied over with its timestamps and origin (migration). */
export interface RestoredRecord extends RecordScope, Omit<StoredRecord, "vertical_data"> {
  /** The canonical JSON text, as the DynamoDB adapter stores it. */
  vertical_data: string;
}

export interface SqliteRecordStoreOptions {
  now?: () => Date;
}

export class SqliteRecordStore implements RecordStore {
  readonly kind = "sqlite" as const;
  /** The reading connection; the writer thread holds the writing one. */
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareReads>;
  private readonly writer: SqliteWriter;

  constructor(
    readonly file: string,
    private readonly options: SqliteRecordStoreOptions = {},
  ) {
    this.db = new Database(file);
    try {
      // The file's mode and schema are set here, before the writer thread opens it.
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("busy_timeout = 5000");
      this.db.pragma(`cache_size = -${READER_CACHE_KIB}`);
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      // From here on this connection only reads: every write goes through the thread, in order.
      this.db.pragma("query_only = ON");
      this.statements = prepareReads(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.writer = new SqliteWriter(file);
  }

  async upsert(scope: RecordScope, records: RecordInput[], origin: RecordOrigin): Promise<UpsertResult> {
    scopeKey(scope);
    return this.write(scope, prepareBatch(records), origin);
  }

  async write(scope: RecordScope, batch: PreparedBatch, origin: RecordOrigin): Promise<UpsertResult> {
    scopeKey(scope);
    const now = (this.options.now?.() ?? new Date()).toISOString();
    const stored = storedOrigin(origin);
    const uploaded = await this.writer.write({
      scope: [scope.tenant, scope.collection, scope.record_type],
      origin: [stored.kind, stored.id, stored.connector_id ?? null],
      now,
      records: batch.latest,
    });
    return { uploaded, duplicates: batch.duplicates + batch.latest.length - uploaded };
  }

  async get(scope: RecordScope, sourceId: string): Promise<StoredRecord> {
    scopeKey(scope);
    if (impossibleSourceId(sourceId)) throw new NotFoundError("record", String(sourceId));
    const row = this.statements.get.get(scope.tenant, scope.collection, scope.record_type, sourceId) as Row | undefined;
    if (!row) throw new NotFoundError("record", sourceId);
    return toRecord(row);
  }

  async list(scope: RecordScope, options: ListOptions): Promise<Page<StoredRecord>> {
    const pk = scopeKey(scope);
    const limit = validLimit(options.limit);
    // The cursor has the DynamoDB adapter's shape ({pk, sk}), checked the same way.
    const after = decodePageCursor(options.cursor, { pk })?.sk ?? "";
    const rows = this.statements.list.all(scope.tenant, scope.collection, scope.record_type, after, limit + 1) as Row[];
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toRecord);
    return { items, next_cursor: more ? encodeCursor({ pk, sk: items[items.length - 1]!.source_id }) : null };
  }

  /**
   * Copies records over as they were (migration from another store), keeping a record already
   * here, and sets the `meta` entries in the same transaction: a progress mark written with the
   * page it marks, so an interrupted copy resumes where it stopped. Resolves with the records added.
   */
  restore(records: RestoredRecord[], meta: Record<string, string> = {}): Promise<number> {
    return this.writer.restore({ op: "restore", records, meta: Object.entries(meta) });
  }

  meta(key: string): string | undefined {
    return (this.statements.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  /** Records in one scope, or in all; for logs and the migration's count. */
  count(scope?: RecordScope): number {
    const row = (scope ? this.statements.countScope.get(scope.tenant, scope.collection, scope.record_type) : this.statements.countAll.get()) as { n: number };
    return row.n;
  }

  /** Finishes the writes already asked for, then stops the writer thread and closes both connections. */
  async close(): Promise<void> {
    await this.writer.close();
    if (this.db.open) this.db.close();
  }
}

function prepareReads(db: Database.Database) {
  return {
    get: db.prepare(`SELECT ${COLUMNS} FROM records WHERE tenant = ? AND collection = ? AND record_type = ? AND source_id = ?`),
    list: db.prepare(`SELECT ${COLUMNS} FROM records WHERE tenant = ? AND collection = ? AND record_type = ? AND source_id > ? ORDER BY source_id LIMIT ?`),
    countScope: db.prepare("SELECT count(*) AS n FROM records WHERE tenant = ? AND collection = ? AND record_type = ?"),
    countAll: db.prepare("SELECT count(*) AS n FROM records"),
    getMeta: db.prepare("SELECT value FROM sluice_meta WHERE key = ?"),
  };
}

function toRecord(row: Row): StoredRecord {
  const origin: RecordOrigin = { kind: row.origin_kind, id: row.origin_id };
  if (row.connector_id !== null) origin.connector_id = row.connector_id;
  return {
    source_id: row.source_id,
    name: row.name,
    vertical_data: JSON.parse(row.vertical_data) as Record<string, unknown>,
    content_hash: row.content_hash,
    origin,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
