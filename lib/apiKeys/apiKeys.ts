// API keys: `sk_live_…` / `sk_local_…` with 32 random bytes, stored as SHA-256 only. The item
// is keyed by the hash (auth is one consistent GetItem); GSI1 lists a tenant's keys.
import { createHash, randomBytes } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { GSI1 } from "../store/tables.js";
import { newId } from "../store/ids.js";
import { roles, type ApiKeyRecord, type Role } from "./types.js";

export type KeyEnvironment = "live" | "local";

const keyPattern = /^sk_(live|local)_[A-Za-z0-9_-]{43}$/;
const tenantPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(environment: KeyEnvironment): string {
  return `sk_${environment}_${randomBytes(32).toString("base64url")}`;
}

export function looksLikeApiKey(key: string): boolean {
  return keyPattern.test(key);
}

export function parseRole(value: unknown): Role {
  if (typeof value === "string" && (roles as readonly string[]).includes(value)) return value as Role;
  throw new ValidationError(`role must be one of ${roles.join(", ")}`, "role");
}

export function parseTenant(value: unknown): string {
  if (typeof value === "string" && tenantPattern.test(value)) return value;
  throw new ValidationError("tenant must be 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit", "tenant");
}

const rank: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 };

export function roleAllows(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

const tenantIndexKey = (tenant: string) => `TENANT#${tenant}#APIKEYS`;

export class ApiKeyRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly environment: KeyEnvironment,
  ) {}

  /** Creates a key and returns it in clear exactly once. */
  async create(input: { tenant: string; role: Role; name?: string }): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = generateApiKey(this.environment);
    const record: ApiKeyRecord = {
      key_id: newId("key"),
      tenant: parseTenant(input.tenant),
      role: parseRole(input.role),
      name: input.name ?? "",
      prefix: key.slice(0, key.indexOf("_", 3) + 5),
      created_at: new Date().toISOString(),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `APIKEY#${hashApiKey(key)}`,
          sk: "APIKEY",
          gsi1pk: tenantIndexKey(record.tenant),
          gsi1sk: record.key_id,
          ...record,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { key, record };
  }

  async findByKey(key: string): Promise<ApiKeyRecord | undefined> {
    if (!looksLikeApiKey(key)) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `APIKEY#${hashApiKey(key)}`, sk: "APIKEY" }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    return (await this.listItems(tenant)).map(toRecord);
  }

  /** Every key of every tenant (operator CLI). */
  async listAll(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: "sk = :sk",
          ExpressionAttributeValues: { ":sk": "APIKEY" },
          ExclusiveStartKey,
        }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return records.sort((a, b) => a.tenant.localeCompare(b.tenant) || a.created_at.localeCompare(b.created_at));
  }

  /**
   * First start of a tenant: claims the tenant marker with a conditional write, then creates an
   * owner key. Returns the key, or undefined when the tenant was bootstrapped before.
   */
  async bootstrapOwner(tenant: string): Promise<string | undefined> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `TENANT#${parseTenant(tenant)}`, sk: "META", tenant, created_at: new Date().toISOString() },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    return (await this.create({ tenant, role: "owner", name: "bootstrap owner key" })).key;
  }

  /** Revokes a key of this tenant; refuses to remove the tenant's last owner key. */
  async revoke(tenant: string, keyId: string): Promise<void> {
    const items = await this.listItems(tenant);
    const target = items.find((item) => item.key_id === keyId);
    if (!target) throw new NotFoundError("api key", keyId);
    if (target.role === "owner" && items.filter((item) => item.role === "owner").length === 1) {
      throw new ConflictError("cannot revoke the tenant's last owner key: create another owner key first");
    }
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: target.pk, sk: "APIKEY" } }));
  }

  private async listItems(tenant: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": tenantIndexKey(tenant) },
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  const record: ApiKeyRecord = {
    key_id: String(item.key_id),
    tenant: String(item.tenant),
    role: item.role as Role,
    name: String(item.name ?? ""),
    prefix: String(item.prefix),
    created_at: String(item.created_at),
  };
  return record;
}
