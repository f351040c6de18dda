// How the DynamoDB data plane spreads a collection's records over partition keys: the shard
// count, the shard of a source_id, and the key layout (read by the migration too). No AWS here:
// the config and the migration import it without the SDK.
import { createHash } from "node:crypto";

/**
 * Partition keys per collection. A 1M-row initial load inside one 15-minute invocation needs
 * 1M / 900 s ≈ 1,111 writes/s, already more than one partition's 1,000 WCU/s, and twice that in
 * units once items pass 1 KB (2 WCU each). 8 keys take 8,000 WCU/s: 3.6× what 2 KB items need,
 * room for a second pull into the same collection, and about what one writer sends anyway (4
 * BatchWrites of 25 in flight at ~10 ms each ≈ 10,000 items/s). A list page queries every shard
 * for up to `limit` + 1 items, so 16 would double the read cost of every page for headroom one
 * writer cannot use. The count is part of the table's layout: records written under one count
 * are not found under another (every function reading a table must use the same one).
 */
export const DEFAULT_RECORD_SHARDS = 8;

/**
 * The shard of a source_id: the first 4 bytes of the SHA-256 of its UTF-8 bytes, big-endian,
 * mod `shards`. Stable across processes and versions (it decides where a record lives), and even
 * for sequential ids; FNV-1a mod a power of two would depend only on the low bits of each byte.
 */
export function shardOf(sourceId: string, shards: number): number {
  return createHash("sha256").update(sourceId, "utf8").digest().readUInt32BE(0) % shards;
}

export interface RecordKeyParts {
  tenant: string;
  collection: string;
  record_type: string;
  /** Absent for the unsharded pk of earlier versions (REC#tenant#collection#record_type). */
  shard?: number;
}

/** Reads a records-table pk, sharded or of an earlier, unsharded version; undefined for any other. */
export function parseRecordKey(pk: unknown): RecordKeyParts | undefined {
  const parts = typeof pk === "string" ? pk.split("#") : [];
  if ((parts.length !== 4 && parts.length !== 5) || parts[0] !== "REC" || parts.slice(1, 4).some((part) => part === "")) return undefined;
  const [, tenant, collection, record_type, shard] = parts as [string, string, string, string, string | undefined];
  if (shard === undefined) return { tenant, collection, record_type };
  return /^(0|[1-9][0-9]*)$/.test(shard) ? { tenant, collection, record_type, shard: Number(shard) } : undefined;
}

