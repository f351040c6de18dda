// The redis connector's `query`: a JSON document naming the keys to read (a SCAN MATCH pattern)
// and how each value is read. Checked when a connector is created or updated, parsed by each pull.
import { z } from "zod";
import { SourceError } from "./errors.js";

type Ctx = z.core.$RefinementCtx;

/** How a key's value becomes a row: a hash's fields, a string holding JSON, or a RedisJSON document. */
export const redisValueKinds = ["hash", "json_string", "rejson"] as const;
export type RedisValueKind = (typeof redisValueKinds)[number];

/** The column every row gets holding its Redis key; a redis connector's default id_column. */
export const REDIS_KEY_COLUMN = "_key";

export const redisQuerySchema = z.strictObject({
  match: z.string().min(1).max(1024).describe("SCAN MATCH pattern (glob: *, ?, [abc]), e.g. product:*"),
  value: z.enum(redisValueKinds).describe("hash: HGETALL; json_string: GET, then JSON.parse; rejson: JSON.GET (RedisJSON module)"),
});
export type RedisQuery = z.output<typeof redisQuerySchema>;

const EXAMPLE = '{"match": "product:*", "value": "hash"}';

/** What is wrong with a query, in one sentence naming the part at fault; undefined when it is fine. */
export function redisQueryProblem(query: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch (error) {
    return `query must be a JSON document such as ${EXAMPLE} (${(error as Error).message})`;
  }
  // Checked before the schema: the watermark (as a MongoDB filter would hold it), which a SCAN
  // cannot honour, gets its own answer rather than "unknown field".
  if (parsed !== null && typeof parsed === "object" && Object.values(parsed).includes(":last_pull")) {
    return "a redis query cannot use :last_pull: SCAN has no notion of change, so every pull reads every matching key and the content hash skips the unchanged ones";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return `query must be a JSON object such as ${EXAMPLE}`;
  const result = redisQuerySchema.safeParse(parsed);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? `query.${issue.path.join(".")}` : "query";
  return issue.code === "unrecognized_keys"
    ? `query has unknown fields (${issue.keys.join(", ")}); it takes match and value, e.g. ${EXAMPLE}`
    : `${where}: ${issue.message}`;
}

/** The zod check of a connector body: a bad query is a 400 with `field: "query"`. */
export function checkRedisQuery(query: string | null | undefined, ctx: Ctx): void {
  if (!query) return;
  const problem = redisQueryProblem(query);
  if (problem) ctx.addIssue({ code: "custom", path: ["query"], message: problem });
}

/** The query of a pull; a stored query was checked already, so a failure here is a query_error. */
export function parseRedisQuery(query: string): RedisQuery {
  const problem = redisQueryProblem(query);
  if (problem) throw new SourceError("query_error", problem);
  return redisQuerySchema.parse(JSON.parse(query));
}
