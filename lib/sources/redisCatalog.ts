// Redis discovery: a SCAN over (a sample of) the key space, keys grouped into patterns
// (redisKeyPatterns.ts), and per pattern and value type one entry: `schema` is the Redis type
// (hash, string, ReJSON-RL, list…), the columns `_key` and the fields of sampled values (a
// hash's fields, a JSON string's or RedisJSON document's top-level members).
import { SampledFields } from "./columns.js";
import type { CatalogEntry } from "./contract.js";
import type { RedisClient } from "./redis.js";
import { groupKeys } from "./redisKeyPatterns.js";
import { REDIS_KEY_COLUMN } from "./redisQuery.js";

export const DEFAULT_VALUE_SAMPLE = 100;
/** Keys scanned at the least; more with a larger value sample (ten keys per sampled value). */
const MIN_KEYS_SCANNED = 1000;

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function seeJson(fields: SampledFields, value: unknown): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fields.see("value", jsonType(value)); // not an object: what a pull would reject
    return;
  }
  for (const [field, item] of Object.entries(value)) fields.see(field, jsonType(item));
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Fields of the sampled keys of one type; types without fields (lists, sets…) give only _key. */
async function describe(client: RedisClient, type: string, keys: string[]): Promise<SampledFields> {
  const fields = new SampledFields();
  const values = await Promise.all(
    keys.map((key): Promise<unknown> => {
      if (type === "hash") return client.hGetAll(key);
      if (type === "string") return client.get(key).then((text) => (text === null ? null : parsedOrText(text)));
      if (type === "ReJSON-RL") return client.json.get(key);
      return Promise.resolve(undefined);
    }),
  );
  for (const value of values) {
    fields.item();
    fields.see(REDIS_KEY_COLUMN, "string");
    if (type === "hash") for (const field of Object.keys(value as Record<string, string>)) fields.see(field, "string");
    else if (value !== undefined) seeJson(fields, value);
  }
  return fields;
}

export async function discoverRedis(client: RedisClient, database: string, sampleSize = DEFAULT_VALUE_SAMPLE): Promise<CatalogEntry[]> {
  const limit = Math.max(MIN_KEYS_SCANNED, sampleSize * 10);
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const reply = await client.scan(cursor, { COUNT: 1000 });
    cursor = String(reply.cursor);
    for (const key of reply.keys) keys.add(key);
  } while (cursor !== "0" && keys.size < limit);
  // A partial scan's counts are scaled up to the whole key space.
  const scale = cursor === "0" || keys.size === 0 ? 1 : (await client.dbSize()) / keys.size;
  const entries: CatalogEntry[] = [];
  for (const [pattern, members] of groupKeys(keys)) {
    const sample = members.slice(0, sampleSize);
    const types = await Promise.all(sample.map((key) => client.type(key)));
    const byType = new Map<string, string[]>();
    sample.forEach((key, i) => {
      const type = types[i]!;
      if (type !== "none") byType.set(type, [...(byType.get(type) ?? []), key]); // "none": deleted meanwhile
    });
    for (const [type, typed] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      const fields = await describe(client, type, typed);
      entries.push({
        kind: "collection",
        database,
        schema: type,
        name: pattern,
        columns: fields.columns(REDIS_KEY_COLUMN),
        row_estimate: Math.round(members.length * (typed.length / sample.length) * scale),
      });
    }
  }
  return entries;
}
