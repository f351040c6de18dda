// Event webhooks: the event types a tenant can subscribe to, what is stored of a subscription and
// of each delivery, and the port through which pending deliveries get attempted off the request
// path (timers in this process locally, the worker function on AWS).

export const eventTypes = [
  "connector.connection_failed",
  "connector.credentials_expired",
  "connector.quota_exceeded",
  "pull.completed",
  "pull.failed",
  "sync.completed",
] as const;
export type EventType = (typeof eventTypes)[number];

/** A tenant's subscription as the API shows it: never its secret. */
export interface EventSubscription {
  id: string;
  url: string;
  events: EventType[];
  description: string;
  created_at: string;
}

/** One try at handing a delivery to its receiver. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  /** The receiver's HTTP status; null when it did not answer (refused, timed out). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One event for one subscription: its fixed body (signed anew at each attempt) and its log. */
export interface EventDelivery {
  /** Also the `webhook-id` header: the same on every retry, so a receiver can drop repeats. */
  id: string;
  subscription_id: string;
  event_type: EventType;
  /** The JSON body sent, byte for byte the same on every attempt. */
  body: string;
  status: DeliveryStatus;
  attempt_count: number;
  attempts: DeliveryAttempt[];
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

/** A stored delivery: the view plus what addresses it. */
export interface StoredDelivery extends EventDelivery {
  tenant: string;
}

/** Starts attempts of pending deliveries somewhere other than the caller's path. */
export interface DeliveryTrigger {
  /** Called after deliveries were enqueued: they are attempted soon, elsewhere. Never throws into the caller. */
  notify(): Promise<void>;
  /** Picks up what is pending (after a restart) and keeps retrying it. */
  start(): void;
  /** Stops retrying; attempts in flight are given up and stay pending. */
  stop(): Promise<void>;
}

/** The event a receiver gets, as JSON: Standard Webhooks' suggested envelope. */
export interface EventBody {
  type: EventType;
  /** When the event happened (ISO 8601); `webhook-timestamp` is when it was sent. */
  timestamp: string;
  data: Record<string, unknown>;
}
