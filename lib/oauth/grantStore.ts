// Which connector an authorization-code grant belongs to, found from the grant's secret key (its
// SHA-256 is the item key): a source renewing its token knows only its config, and the config
// knows the key, never the tenant.
import { createHash } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface GrantBinding {
  provider: string;
  tenant: string;
  connector_id: string;
  created_at: string;
}

const grantItemKey = (grantKey: string) => ({ pk: `OAUTH_GRANT#${createHash("sha256").update(grantKey).digest("hex")}`, sk: "OAUTH_GRANT" });

export class OAuthGrantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(grantKey: string, binding: GrantBinding): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...grantItemKey(grantKey), ...binding }, ConditionExpression: "attribute_not_exists(pk)" }));
  }

  async get(grantKey: string): Promise<GrantBinding | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: grantItemKey(grantKey), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...binding } = Item;
    return binding as GrantBinding;
  }

  /** A grant replaced by a new connection of the same connector. */
  async remove(grantKey: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: grantItemKey(grantKey) }));
  }
}
