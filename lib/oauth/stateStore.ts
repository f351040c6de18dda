// Authorization requests waiting for their callback, in the control table: one item per `state`,
// keyed by the state's SHA-256 (the state itself is never stored), written with a condition and
// consumed by a conditional delete, so a state is good for one callback, before it expires.
import { createHash } from "node:crypto";
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../store/client.js";
import { TTL_ATTRIBUTE } from "../store/tables.js";

/** What the callback needs of the authorize request that issued a state. */
export interface PendingAuthorization {
  provider: string;
  /** Whose API key began the flow: the connector is made in its tenant, and only while the key lives. */
  tenant: string;
  key_id: string;
  /** The registered app page the flow ends on. */
  redirect_uri: string;
  /** The redirect_uri sent to the provider; the token request repeats it. */
  callback_url: string;
  /** PKCE: the verifier whose S256 challenge the provider holds. */
  code_verifier: string;
  /** The caller's own `state`, handed back on the final redirect. */
  app_state?: string;
  /** Attach the tokens to this connector, or create one from `connector` (a create body without its tokens). */
  connector_id?: string;
  connector?: Record<string, unknown>;
  created_at: string;
}

export const stateKey = (state: string) => {
  const hash = createHash("sha256").update(state).digest("hex");
  return { pk: `OAUTH_STATE#${hash}`, sk: "OAUTH_STATE" };
};

export class OAuthStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Stores the pending request under `state` until `expiresAt`; a state already on record is refused. */
  async put(state: string, pending: PendingAuthorization, expiresAt: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...stateKey(state), ...pending, [TTL_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000) },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  /**
   * Takes the state off the record and returns what it stood for, with its expiry (epoch ms);
   * undefined when no such state is pending for `provider` (unknown, used, or another provider's).
   */
  async consume(state: string, provider: string): Promise<{ pending: PendingAuthorization; expiresAtMs: number } | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: stateKey(state),
          ConditionExpression: "attribute_exists(pk) AND #provider = :provider",
          ExpressionAttributeNames: { "#provider": "provider" },
          ExpressionAttributeValues: { ":provider": provider },
          ReturnValues: "ALL_OLD",
        }),
      );
      if (!Attributes) return undefined;
      const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: expires, ...pending } = Attributes;
      return { pending: pending as PendingAuthorization, expiresAtMs: Number(expires) * 1000 };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}
