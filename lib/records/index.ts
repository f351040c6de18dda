// Public face of lib/records: content hashing, the records contract and its adapters.
export { canonicalJson, canonicalRecord, contentHash, sha256Hex } from "./contentHash.js";
export type { RecordStore } from "./contract.js";
export { DynamoRecordStore, type DynamoRecordStoreOptions } from "./dynamodb.js";
export { HASH_KEY_PREFIX, MAX_RECORD_BYTES, MAX_SOURCE_ID_BYTES } from "./prepare.js";
export type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";
