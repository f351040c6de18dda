// Which events a settled pull or a finished sync raises, and their documented `data`: every
// pull raises pull.completed or pull.failed; a failure of the connection or its credentials, or a
// source's rate limit, raises its connector.* event too (the same for a sync that fails so).
import type { SyncRecord } from "../catalog/types.js";
import type { RunError, RunRecord } from "../pull/types.js";
import type { EventType } from "./contract.js";

export interface RaisedEvent {
  type: EventType;
  data: Record<string, unknown>;
}

/** Failures reaching or logging into the source; a statement timeout is the query's, not the connection's. */
const CONNECTION_FAILURES = new Set(["connection_refused", "dns_not_found", "ssl_error", "authentication_failed", "database_not_found"]);
const CONNECT_TIMEOUT_CODES = new Set(["ETIMEDOUT", "ECONNRESET"]);

export function connectorEventOf(error: Pick<RunError, "type" | "code"> | null | undefined): EventType | undefined {
  if (!error) return undefined;
  if (error.type === "credentials_expired") return "connector.credentials_expired";
  if (error.type === "http_error" && error.code === "429") return "connector.quota_exceeded";
  if (CONNECTION_FAILURES.has(error.type)) return "connector.connection_failed";
  if (error.type === "timeout" && error.code !== undefined && CONNECT_TIMEOUT_CODES.has(error.code)) return "connector.connection_failed";
  return undefined;
}

export function eventsOfRun(run: RunRecord): RaisedEvent[] {
  const summary = {
    run_id: run.run_id,
    connector_id: run.connector_id,
    trigger: run.trigger,
    status: run.status,
    records_pulled: run.records_pulled,
    records_uploaded: run.records_uploaded,
    duplicates_skipped: run.duplicates_skipped,
    records_rejected: run.records_rejected,
    started_at: run.started_at,
    completed_at: run.completed_at,
    duration_seconds: run.duration_seconds,
  };
  if (run.status === "completed") return [{ type: "pull.completed", data: summary }];
  if (run.status !== "failed") return [];
  const events: RaisedEvent[] = [{ type: "pull.failed", data: { ...summary, error: run.error } }];
  const connectorEvent = connectorEventOf(run.error);
  if (connectorEvent) events.push({ type: connectorEvent, data: { connector_id: run.connector_id, run_id: run.run_id, error: run.error } });
  return events;
}

/** A connection test that failed (Querri: "Connection test failed"): its connector.* event, if any. */
export function eventsOfTest(connectorId: string, result: { status: string; tested_at: string; error?: Pick<RunError, "type" | "message" | "code"> }): RaisedEvent[] {
  const connectorEvent = result.status === "failed" ? connectorEventOf(result.error) : undefined;
  return connectorEvent ? [{ type: connectorEvent, data: { connector_id: connectorId, tested_at: result.tested_at, error: result.error } }] : [];
}

export function eventsOfSync(sync: SyncRecord): RaisedEvent[] {
  if (sync.status === "completed") {
    const { id, connector_id, connector_name, kind, status, products_created, products_updated, products_removed, products_unchanged, started_at, completed_at } = sync;
    return [{ type: "sync.completed", data: { sync_id: id, connector_id, connector_name, kind, status, products_created, products_updated, products_removed, products_unchanged, started_at, completed_at } }];
  }
  const connectorEvent = sync.status === "failed" ? connectorEventOf(sync.error as RunError | null) : undefined;
  return connectorEvent ? [{ type: connectorEvent, data: { connector_id: sync.connector_id, sync_id: sync.id, error: sync.error } }] : [];
}
