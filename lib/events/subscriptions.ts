// A tenant's event subscriptions: pk TENANT#<t>, sk EVENT_SUB#<id>. The signing secret is stored
// only as an envelope (the key ring or KMS, as connector credentials are) and shown once, on create.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Envelope, EnvelopeCodec } from "../crypto/envelope.js";
import { NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { newId } from "../store/ids.js";
import { withoutStorage } from "../store/tables.js";
import type { EventSubscription, EventType } from "./contract.js";
import { SubscriptionLimitError } from "./errors.js";
import { generateSigningSecret } from "./signer.js";

/** The envelopes' encryption context names the tenant and this fixed id in place of a connector. */
export const EVENT_SUBSCRIPTION_CONTEXT_ID = "event-subscription";
export const MAX_SUBSCRIPTIONS_PER_TENANT = 25;

const partition = (tenant: string) => `TENANT#${tenant}`;
const PREFIX = "EVENT_SUB#";
const key = (tenant: string, id: string) => ({ pk: partition(tenant), sk: `${PREFIX}${id}` });
const view = (item: Record<string, unknown>) => withoutStorage<EventSubscription>(item, "tenant", "envelope");

export interface NewSubscription {
  url: string;
  events: EventType[];
  description: string;
}

export class EventSubscriptions {
  private readonly opened = new Map<string, string>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly envelopes: EnvelopeCodec,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the subscription; the answer holds its secret, the only time it is shown. */
  async create(tenant: string, input: NewSubscription): Promise<EventSubscription & { secret: string }> {
    if ((await this.items(tenant)).length >= MAX_SUBSCRIPTIONS_PER_TENANT) throw new SubscriptionLimitError(MAX_SUBSCRIPTIONS_PER_TENANT);
    const secret = generateSigningSecret();
    const subscription: EventSubscription = { id: newId("evsub"), url: input.url, events: input.events, description: input.description, created_at: this.now().toISOString() };
    const envelope = await this.envelopes.seal(secret, { tenant, connector_id: EVENT_SUBSCRIPTION_CONTEXT_ID });
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...key(tenant, subscription.id), tenant, ...subscription, envelope }, ConditionExpression: "attribute_not_exists(pk)" }));
    return { ...subscription, secret };
  }

  async list(tenant: string): Promise<EventSubscription[]> {
    return (await this.items(tenant)).map(view);
  }

  async get(tenant: string, id: string): Promise<EventSubscription> {
    return view(await this.item(tenant, id));
  }

  /** The subscription with its opened secret, for a delivery; undefined once it was deleted. */
  async withSecret(tenant: string, id: string): Promise<{ subscription: EventSubscription; secret: string } | undefined> {
    const item = await this.item(tenant, id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!item) return undefined;
    const envelope = item.envelope as Envelope;
    let secret = this.opened.get(envelope.token);
    if (secret === undefined) {
      secret = await this.envelopes.open<string>(envelope, { tenant, connector_id: EVENT_SUBSCRIPTION_CONTEXT_ID });
      this.opened.set(envelope.token, secret);
    }
    return { subscription: view(item), secret };
  }

  /** The tenant's subscriptions to `type`, for an event to be enqueued to. */
  async subscribedTo(tenant: string, type: EventType): Promise<EventSubscription[]> {
    return (await this.list(tenant)).filter((subscription) => subscription.events.includes(type));
  }

  async remove(tenant: string, id: string): Promise<void> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: key(tenant, id), ConditionExpression: "attribute_exists(pk)" }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("event subscription", id);
      throw error;
    }
  }

  private async item(tenant: string, id: string): Promise<Record<string, unknown>> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key(tenant, id), ConsistentRead: true }));
    if (!Item) throw new NotFoundError("event subscription", id);
    return Item;
  }

  /** At most MAX_SUBSCRIPTIONS_PER_TENANT: one page. */
  private async items(tenant: string): Promise<Record<string, unknown>[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": partition(tenant), ":prefix": PREFIX },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  }
}
