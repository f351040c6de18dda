// Which events a settled run raises: every run its pull.* event, and the failures of the
// connection, its credentials or a source's rate limit their connector.* event as well.
import { describe, expect, it } from "vitest";
import { connectorEventOf, eventsOfRun } from "../../../lib/events/runEvents.js";
import type { RunRecord } from "../../../lib/pull/types.js";

const run: RunRecord = {
  run_id: "run_1", connector_id: "conn_1", tenant: "t", trigger: "manual", status: "completed",
  records_pulled: 3, records_uploaded: 3, duplicates_skipped: 0, records_rejected: 0,
  started_at: "2026-01-01T00:00:00.000Z", completed_at: "2026-01-01T00:00:01.000Z", duration_seconds: 1, last_pull: null, error: null,
};

describe("connectorEventOf", () => {
  it.each([
    [{ type: "connection_refused" }, "connector.connection_failed"],
    [{ type: "authentication_failed", code: "28P01" }, "connector.connection_failed"],
    [{ type: "dns_not_found" }, "connector.connection_failed"],
    [{ type: "ssl_error" }, "connector.connection_failed"],
    [{ type: "database_not_found" }, "connector.connection_failed"],
    [{ type: "timeout", code: "ETIMEDOUT" }, "connector.connection_failed"],
    [{ type: "credentials_expired", code: "invalid_grant" }, "connector.credentials_expired"],
    [{ type: "http_error", code: "429" }, "connector.quota_exceeded"],
  ] as const)("%j raises %s", (error, expected) => {
    expect(connectorEventOf(error as never)).toBe(expected);
  });

  it.each([{ type: "timeout", code: "57014" }, { type: "query_error" }, { type: "http_error", code: "500" }, { type: "internal_error" }, { type: "lease_lost" }])("%j raises none", (error) => {
    expect(connectorEventOf(error as never)).toBeUndefined();
  });
});

describe("eventsOfRun", () => {
  it("raises pull.completed with the counts, without the tenant", () => {
    const [event, ...rest] = eventsOfRun(run);
    expect(rest).toEqual([]);
    expect(event).toEqual({ type: "pull.completed", data: expect.objectContaining({ run_id: "run_1", connector_id: "conn_1", records_pulled: 3, status: "completed" }) });
    expect(event!.data).not.toHaveProperty("tenant");
  });

  it("raises pull.failed and connector.connection_failed for a refused connection", () => {
    const error = { type: "connection_refused" as const, message: "connect ECONNREFUSED 127.0.0.1:1", code: "ECONNREFUSED" };
    const events = eventsOfRun({ ...run, status: "failed", error });
    expect(events.map((e) => e.type)).toEqual(["pull.failed", "connector.connection_failed"]);
    expect(events[0]!.data.error).toEqual(error);
    expect(events[1]!.data).toEqual({ connector_id: "conn_1", run_id: "run_1", error });
  });

  it("raises only pull.failed for a failing query, and nothing for a run still running", () => {
    expect(eventsOfRun({ ...run, status: "failed", error: { type: "query_error", message: "division by zero" } }).map((e) => e.type)).toEqual(["pull.failed"]);
    expect(eventsOfRun({ ...run, status: "running" })).toEqual([]);
  });
});
