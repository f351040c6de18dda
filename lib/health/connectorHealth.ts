// Connector health (GET /connectors/{id}/health), computed from the last 24 hours of pull runs
// and connection tests: unknown without any, healthy without failures, degraded with some,
// failing when the latest check failed and most checks of the day did.
import type { ConnectorService } from "../connectors/service.js";
import type { RunRepository } from "../pull/runRepository.js";
import type { RunRecord } from "../pull/types.js";
import type { LoggedTest, TestLog } from "./testLog.js";

export type HealthStatus = "healthy" | "degraded" | "failing" | "unknown";

export interface RecentError {
  at: string;
  source: "pull" | "test";
  type: string;
  message: string;
  code?: string;
  run_id?: string;
}

export interface ConnectorHealth {
  connector_id: string;
  status: HealthStatus;
  last_check: string | null;
  metrics: {
    success_rate_24h: number | null;
    error_rate_24h: number | null;
    /** Mean connection latency of the day's connection tests. */
    average_latency_ms: number | null;
    total_pulls_24h: number;
    records_24h: number;
    total_tests_24h: number;
  };
  recent_errors: RecentError[];
}

const DAY_MS = 86_400_000;
const RECENT_ERRORS = 10;
/** Bounds the read for a connector pulled every few seconds. */
const MAX_RUNS = 5_000;

interface Check {
  at: string;
  ok: boolean;
  error?: RecentError;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

export class HealthService {
  constructor(private readonly deps: { connectors: ConnectorService; runs: RunRepository; tests: TestLog; now?: () => Date }) {}

  async of(tenant: string, connectorId: string): Promise<ConnectorHealth> {
    await this.deps.connectors.get(tenant, connectorId); // 404 for an unknown or foreign connector
    const since = new Date((this.deps.now?.() ?? new Date()).getTime() - DAY_MS);
    const [runs, tests] = await Promise.all([this.runsSince(tenant, connectorId, since), this.deps.tests.since(tenant, connectorId, since)]);
    const pulls = runs.filter((run) => run.status === "completed" || run.status === "failed");
    const checks = [...pulls.map(pullCheck), ...tests.map(testCheck)].sort((a, b) => b.at.localeCompare(a.at));
    const failures = checks.filter((check) => !check.ok).length;
    const latencies = tests.flatMap((test) => (test.status === "success" ? [test.latency_ms] : []));
    const successRate = checks.length ? round((checks.length - failures) / checks.length) : null;
    return {
      connector_id: connectorId,
      status: statusOf(checks, successRate),
      last_check: checks[0]?.at ?? null,
      metrics: {
        success_rate_24h: successRate,
        error_rate_24h: successRate === null ? null : round(1 - successRate),
        average_latency_ms: latencies.length ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) : null,
        total_pulls_24h: pulls.length,
        records_24h: pulls.reduce((sum, run) => sum + run.records_pulled, 0),
        total_tests_24h: tests.length,
      },
      recent_errors: checks.flatMap((check) => (check.error ? [check.error] : [])).slice(0, RECENT_ERRORS),
    };
  }

  private async runsSince(tenant: string, connectorId: string, since: Date): Promise<RunRecord[]> {
    const found: RunRecord[] = [];
    let cursor: string | undefined;
    const from = since.toISOString();
    do {
      const page = await this.deps.runs.listForConnector(tenant, connectorId, { limit: 100, cursor });
      for (const run of page.items) {
        if (run.started_at < from) return found; // newest first: the rest is older
        found.push(run);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor && found.length < MAX_RUNS);
    return found;
  }
}

function statusOf(checks: Check[], successRate: number | null): HealthStatus {
  if (successRate === null) return "unknown";
  if (successRate === 1) return "healthy";
  return !checks[0]!.ok && successRate < 0.5 ? "failing" : "degraded";
}

function pullCheck(run: RunRecord): Check {
  const at = run.completed_at ?? run.started_at;
  if (run.status === "completed") return { at, ok: true };
  const error = run.error ?? { type: "internal_error", message: "the pull failed" };
  return { at, ok: false, error: { at, source: "pull", type: error.type, message: error.message, ...(error.code ? { code: error.code } : {}), run_id: run.run_id } };
}

function testCheck(test: LoggedTest): Check {
  if (test.status === "success") return { at: test.tested_at, ok: true };
  const { type, message, code } = test.error;
  return { at: test.tested_at, ok: false, error: { at: test.tested_at, source: "test", type, message, ...(code ? { code } : {}) } };
}
