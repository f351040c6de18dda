// Per-connector grants in the control table: pk TENANT#<t>#GRANTS#<connector>, sk KEY#<key_id>
// (a connector's grants are one Query; a key's levels on connectors one consistent BatchGetItem); GSI1
// (TENANT#<t>#KEYGRANTS#<key_id>) finds a key's grants. The tenant is in every key: a grant
// lives in the tenant of its connector and its key, and is never looked up in another.
import { DeleteCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Role } from "../apiKeys/types.js";
import { NotFoundError } from "../errors.js";
import { batchGet } from "../store/batch.js";
import { withoutStorage } from "../store/tables.js";
import type { ConnectorGrant } from "./types.js";

const partition = (tenant: string, connectorId: string) => `TENANT#${tenant}#GRANTS#${connectorId}`;
const sortKey = (keyId: string) => `KEY#${keyId}`;
const byKey = (tenant: string, keyId: string) => `TENANT#${tenant}#KEYGRANTS#${keyId}`;

export class ConnectorGrants {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Grants or changes a key's level in one write; `created` is false when it replaced an earlier grant (whose created_at stays). */
  async put(tenant: string, grant: Omit<ConnectorGrant, "created_at" | "updated_at">, at: string): Promise<{ grant: ConnectorGrant; created: boolean }> {
    const { Attributes: before } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partition(tenant, grant.connector_id), sk: sortKey(grant.key_id) },
        UpdateExpression:
          "SET connector_id = :connector, key_id = :key, #permission = :permission, granted_by = :by, updated_at = :at, " +
          "created_at = if_not_exists(created_at, :at), gsi1pk = :gsi1pk, gsi1sk = :connector",
        ExpressionAttributeNames: { "#permission": "permission" },
        ExpressionAttributeValues: {
          ":connector": grant.connector_id, ":key": grant.key_id, ":permission": grant.permission, ":by": grant.granted_by, ":at": at, ":gsi1pk": byKey(tenant, grant.key_id),
        },
        ReturnValues: "ALL_OLD",
      }),
    );
    const createdAt = (before?.created_at as string | undefined) ?? at;
    return { grant: { ...grant, created_at: createdAt, updated_at: at }, created: before === undefined };
  }

  /** The key's level on each of `connectorIds` that it has a grant on (one consistent BatchGetItem per 100). */
  async levels(tenant: string, keyId: string, connectorIds: string[]): Promise<Map<string, Role>> {
    const keys = [...new Set(connectorIds)].map((id) => ({ pk: partition(tenant, id), sk: sortKey(keyId) }));
    const items = await batchGet(this.db, this.table, keys, ["connector_id", "permission"], { consistentRead: true });
    return new Map(items.map((item) => [item.connector_id as string, item.permission as Role]));
  }

  /** The connector's grants, oldest first. */
  async list(tenant: string, connectorId: string): Promise<ConnectorGrant[]> {
    const grants: ConnectorGrant[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": partition(tenant, connectorId) },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      grants.push(...(page.Items ?? []).map((item) => withoutStorage<ConnectorGrant>(item)));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return grants.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.key_id.localeCompare(b.key_id));
  }

  async revoke(tenant: string, connectorId: string, keyId: string): Promise<void> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: partition(tenant, connectorId), sk: sortKey(keyId) }, ReturnValues: "ALL_OLD" }),
    );
    if (!Attributes) throw new NotFoundError("grant", keyId);
  }

  /** Every grant on a deleted connector goes with it (a new connector never has its id). */
  async removeConnector(tenant: string, connectorId: string): Promise<void> {
    const grants = await this.list(tenant, connectorId);
    await Promise.all(
      grants.map((grant) => this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: partition(tenant, connectorId), sk: sortKey(grant.key_id) } }))),
    );
  }
}
