// The Scheduler port: keeps one schedule per connector and fires a pull at its slots. EventBridge
// Scheduler runs it on AWS (eventbridge.ts), a timer runs it in the local runtime (inProcess.ts).

export interface ScheduledConnector {
  tenant: string;
  connectorId: string;
  /** 5-field Unix cron. */
  schedule: string;
  /** IANA zone the cron's wall clock is read in. */
  timezone: string;
  enabled: boolean;
}

export interface Scheduler {
  /** Creates or updates the connector's schedule (disabled connectors: the schedule exists but is paused). */
  upsert(connector: ScheduledConnector): Promise<void>;
  /** Removes it; a schedule already gone is not an error. */
  remove(tenant: string, connectorId: string): Promise<void>;
}

/** What the scheduler fires: the EventBridge Scheduler target input, and what the in-process scheduler passes to its callback. */
export interface ScheduledPullEvent {
  tenant: string;
  connector_id: string;
}
