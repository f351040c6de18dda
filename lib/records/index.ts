// Public face of lib/records: content hashing and the record store of the data plane.
export { canonicalJson, canonicalRecord, contentHash, sha256Hex } from "./contentHash.js";
export { HASH_KEY_PREFIX, MAX_RECORD_BYTES, MAX_SOURCE_ID_BYTES, RecordStore, type RecordStoreOptions } from "./recordStore.js";
export type { ListOptions, RecordInput, RecordOrigin, RecordScope, StoredRecord, UpsertResult } from "./types.js";
