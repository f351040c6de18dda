// Record schemas per (tenant, collection, record_type) in the control table: pk TENANT#<t>,
// sk SCHEMA#<collection>#<record_type>, the schema kept as JSON text with its SHA-256. Compiled
// validators are cached per scope and reused while the stored hash is the same, so a change
// made by another process (another Lambda) is picked up at the next lookup.
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { sha256Hex } from "../records/contentHash.js";
import type { RecordScope } from "../records/types.js";
import { isConditionalCheckFailed } from "../store/client.js";
import type { RecordValidator } from "./schemaValidator.js";

// ajv and RE2 load with the first schema compiled, so a function that never meets one (connectors,
// pull) does not load them at cold start: in a bundle they are a chunk of their own.
async function compileSchema(schema: unknown): Promise<RecordValidator> {
  return (await import("./schemaValidator.js")).compileSchema(schema);
}

export interface SchemaView {
  collection: string;
  record_type: string;
  schema: unknown;
  schema_hash: string;
  created_at: string;
  updated_at: string;
}

// Enough for every scope a process serves; beyond it the oldest compiled schema is dropped.
const MAX_CACHED = 500;

const keyOf = (scope: RecordScope) => ({ pk: `TENANT#${scope.tenant}`, sk: `SCHEMA#${scope.collection}#${scope.record_type}` });
const cacheKey = (scope: RecordScope) => `${scope.tenant}\n${scope.collection}\n${scope.record_type}`;

export class SchemaRegistry {
  private readonly compiled = new Map<string, { hash: string; validator: RecordValidator }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Validates and compiles the schema before storing it; `created` is false for a replacement. */
  async put(scope: RecordScope, schema: unknown): Promise<{ view: SchemaView; created: boolean }> {
    const validator = await compileSchema(schema);
    const text = JSON.stringify(schema);
    const hash = sha256Hex(text);
    const now = this.now().toISOString();
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keyOf(scope),
        UpdateExpression: "SET schema_json = :json, schema_hash = :hash, updated_at = :now, created_at = if_not_exists(created_at, :now), #c = :c, record_type = :r",
        ExpressionAttributeNames: { "#c": "collection" },
        ExpressionAttributeValues: { ":json": text, ":hash": hash, ":now": now, ":c": scope.collection, ":r": scope.record_type },
        ReturnValues: "ALL_NEW",
      }),
    );
    this.remember(scope, hash, validator);
    const view = toView(Attributes!);
    return { view, created: view.created_at === now };
  }

  async get(scope: RecordScope): Promise<SchemaView> {
    const item = await this.read(scope);
    if (!item) throw new NotFoundError("schema", `${scope.collection}/${scope.record_type}`);
    return toView(item);
  }

  async remove(scope: RecordScope): Promise<void> {
    this.compiled.delete(cacheKey(scope));
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: keyOf(scope), ConditionExpression: "attribute_exists(pk)" }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("schema", `${scope.collection}/${scope.record_type}`);
      throw error;
    }
  }

  /** The scope's compiled schema, or undefined when it has none: one read, compiled once per version. */
  async validatorFor(scope: RecordScope): Promise<RecordValidator | undefined> {
    const item = await this.read(scope);
    const key = cacheKey(scope);
    if (!item) {
      this.compiled.delete(key);
      return undefined;
    }
    const hash = item.schema_hash as string;
    const cached = this.compiled.get(key);
    if (cached?.hash === hash) return cached.validator;
    const validator = await compileSchema(JSON.parse(item.schema_json as string));
    this.remember(scope, hash, validator);
    return validator;
  }

  private remember(scope: RecordScope, hash: string, validator: RecordValidator): void {
    const key = cacheKey(scope);
    this.compiled.delete(key); // re-inserted last: the Map's order is the eviction order
    this.compiled.set(key, { hash, validator });
    if (this.compiled.size > MAX_CACHED) this.compiled.delete(this.compiled.keys().next().value!);
  }

  private async read(scope: RecordScope): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: keyOf(scope), ConsistentRead: true }));
    return Item;
  }
}

function toView(item: Record<string, unknown>): SchemaView {
  return {
    collection: item.collection as string,
    record_type: item.record_type as string,
    schema: JSON.parse(item.schema_json as string),
    schema_hash: item.schema_hash as string,
    created_at: item.created_at as string,
    updated_at: item.updated_at as string,
  };
}
