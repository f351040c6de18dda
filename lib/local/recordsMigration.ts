// A data dir written before the SQLite data plane kept its records in dynalite's records table.
// On the first start with RECORDS_STORE=sqlite they are copied into records.db, page by page:
// each page is written in one transaction together with the scan position after it, so a copy
// that is interrupted (kill, power cut) resumes at the next start where it stopped, and a
// record is never copied twice. Once all are in, the old table is deleted.
import { DeleteTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { parseRecordKey } from "../records/shards.js";
import type { RecordOrigin } from "../records/types.js";
import type { RestoredRecord, SqliteRecordStore } from "../records/sqlite.js";
import type { Logger } from "../runtime/logger.js";

const DONE = "migration.dynamodb.done";
const POSITION = "migration.dynamodb.position";
const COPIED = "migration.dynamodb.copied";

export interface MigrationDeps {
  dynamo: DynamoDBClient;
  db: DynamoDBDocumentClient;
  table: string;
  store: SqliteRecordStore;
  logger: Logger;
  /** Items per scan page; a test makes it small to interrupt between pages. */
  pageSize?: number;
  /** Called after each page is stored (a test throws here to interrupt the copy). */
  afterPage?: (copied: number) => void;
}

export interface MigrationResult {
  /** Records copied by this call (0 when there was nothing to do). */
  copied: number;
  /** Records copied in all, across interrupted starts. */
  total: number;
}

export async function migrateDynamoRecords(deps: MigrationDeps): Promise<MigrationResult> {
  const { store, logger, table } = deps;
  if (store.meta(DONE) !== undefined) {
    await dropTable(deps); // the copy finished, but a stop came before the old table was dropped
    return { copied: 0, total: Number(store.meta(COPIED) ?? 0) };
  }
  if (!(await tableExists(deps))) {
    await store.restore([], { [DONE]: new Date().toISOString(), [COPIED]: "0" });
    return { copied: 0, total: 0 };
  }
  const position = store.meta(POSITION);
  let start = position ? (JSON.parse(position) as Record<string, unknown>) : undefined;
  let total = Number(store.meta(COPIED) ?? 0);
  let copied = 0;
  if (start) logger.info("resuming the copy of records from dynalite into records.db", { copied_before: total });
  for (;;) {
    const page = await deps.db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, Limit: deps.pageSize ?? 1000, ConsistentRead: true }));
    const records = (page.Items ?? []).flatMap(restoredOf);
    start = page.LastEvaluatedKey;
    if (copied === 0 && total === 0 && records.length > 0) logger.info("copying records from dynalite into records.db (first start of the SQLite data plane)");
    const added = await store.restore(records, {
      [POSITION]: start ? JSON.stringify(start) : "",
      [COPIED]: String(total + records.length),
      ...(start ? {} : { [DONE]: new Date().toISOString() }),
    });
    if (added !== records.length) logger.warn("records already in records.db were kept, not overwritten", { kept: records.length - added });
    total += records.length;
    copied += records.length;
    deps.afterPage?.(total);
    if (!start) break;
  }
  if (total > 0) logger.info("records copied from dynalite into records.db", { copied: total, records_in_sqlite: store.count() });
  await dropTable(deps);
  return { copied, total };
}

/**
 * A records-table item as the DynamoDB adapter wrote it: pk REC#tenant#collection#record_type,
 * or REC#tenant#collection#record_type#shard since records are sharded (the shard is not kept).
 */
function restoredOf(item: Record<string, unknown>): RestoredRecord[] {
  const key = parseRecordKey(item.pk);
  if (!key || typeof item.sk !== "string") return [];
  const { tenant, collection, record_type } = key;
  return [
    {
      tenant,
      collection,
      record_type,
      source_id: item.sk,
      name: String(item.name),
      vertical_data: typeof item.vertical_data === "string" ? item.vertical_data : JSON.stringify(item.vertical_data ?? {}),
      content_hash: String(item.content_hash),
      origin: (item.origin as RecordOrigin | undefined) ?? { kind: "push", id: "migrated" },
      created_at: String(item.created_at),
      updated_at: String(item.updated_at ?? item.created_at),
    },
  ];
}

/** True while the table exists and is not being deleted. */
async function tableExists(deps: MigrationDeps): Promise<boolean> {
  try {
    const { Table } = await deps.dynamo.send(new DescribeTableCommand({ TableName: deps.table }));
    return Table?.TableStatus !== "DELETING";
  } catch (error) {
    if (error instanceof Error && error.name === "ResourceNotFoundException") return false;
    throw error;
  }
}

async function dropTable(deps: MigrationDeps): Promise<void> {
  if (!(await tableExists(deps))) return;
  await deps.dynamo.send(new DeleteTableCommand({ TableName: deps.table }));
  // dynalite deletes in the background; a start that follows must not see the table again.
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await deps.dynamo.send(new DescribeTableCommand({ TableName: deps.table }));
    } catch (error) {
      if (error instanceof Error && error.name === "ResourceNotFoundException") break;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  deps.logger.info("dropped the old dynalite records table", { table: deps.table });
}
