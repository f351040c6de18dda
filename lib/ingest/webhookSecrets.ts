// Per-tenant webhook secrets, set through the API and stored only as an envelope (like a
// connector's credentials): pk TENANT#<t>, sk WEBHOOK_SECRET. Never returned or logged. The
// opened secret is cached against its envelope token, so a webhook costs a read, not a KMS call.
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Envelope, EnvelopeCodec } from "../crypto/envelope.js";
import { NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";

/** The envelope's encryption context names the tenant and this fixed id in place of a connector (the CDK stack conditions the webhook function's KMS grant on it). */
export const WEBHOOK_SECRET_CONTEXT_ID = "webhook-secret";
const key = (tenant: string) => ({ pk: `TENANT#${tenant}`, sk: "WEBHOOK_SECRET" });

export interface WebhookSecretStatus {
  /** Which secret signs this tenant's webhooks: its own, the deployment's WEBHOOK_SECRET, or none. */
  source: "tenant" | "environment" | "none";
  updated_at: string | null;
}

export class WebhookSecrets {
  private readonly opened = new Map<string, { token: string; secret: string }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly envelopes: EnvelopeCodec,
    private readonly fallback: string | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async set(tenant: string, secret: string): Promise<WebhookSecretStatus> {
    const envelope = await this.envelopes.seal(secret, { tenant, connector_id: WEBHOOK_SECRET_CONTEXT_ID });
    const updated_at = this.now().toISOString();
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...key(tenant), envelope, updated_at } }));
    this.opened.delete(tenant);
    return { source: "tenant", updated_at };
  }

  async remove(tenant: string): Promise<void> {
    this.opened.delete(tenant);
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: key(tenant), ConditionExpression: "attribute_exists(pk)" }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("webhook secret of tenant", tenant);
      throw error;
    }
  }

  async status(tenant: string): Promise<WebhookSecretStatus> {
    const item = await this.read(tenant);
    if (item) return { source: "tenant", updated_at: item.updated_at as string };
    return { source: this.fallback ? "environment" : "none", updated_at: null };
  }

  /** The secret that signs this tenant's webhooks, or undefined when none is configured. */
  async secretFor(tenant: string): Promise<string | undefined> {
    const item = await this.read(tenant);
    if (!item) return this.fallback;
    const envelope = item.envelope as Envelope;
    const cached = this.opened.get(tenant);
    if (cached?.token === envelope.token) return cached.secret;
    const secret = await this.envelopes.open<string>(envelope, { tenant, connector_id: WEBHOOK_SECRET_CONTEXT_ID });
    this.opened.set(tenant, { token: envelope.token, secret });
    return secret;
  }

  /** Re-wraps every tenant's secret under the primary master key (`npm run keys -- rotate`). */
  async rotateEnvelopes(): Promise<{ scanned: number; rewrapped: number }> {
    let scanned = 0;
    let rewrapped = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.table, FilterExpression: "sk = :sk", ExpressionAttributeValues: { ":sk": "WEBHOOK_SECRET" }, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        scanned++;
        const tenant = (item.pk as string).slice("TENANT#".length);
        const old = item.envelope as Envelope;
        const { envelope, changed } = await this.envelopes.rewrap(old, { tenant, connector_id: WEBHOOK_SECRET_CONTEXT_ID });
        if (!changed) continue;
        try {
          // Only if the secret was not replaced meanwhile: a new one is sealed under the primary already.
          await this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: key(tenant),
              UpdateExpression: "SET envelope = :new",
              ConditionExpression: "envelope.#token = :token",
              ExpressionAttributeNames: { "#token": "token" },
              ExpressionAttributeValues: { ":new": envelope, ":token": old.token },
            }),
          );
          rewrapped++;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { scanned, rewrapped };
  }

  private async read(tenant: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key(tenant), ConsistentRead: true }));
    return Item;
  }
}
