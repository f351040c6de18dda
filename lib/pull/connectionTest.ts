// Connection tests (POST /connectors/{id}/test, and `test_connection` on create): open the
// source, ask for version, time and schemas, close. Failures come back typed, not thrown.
import { scrubSecrets, secretValues } from "../connectors/redaction.js";
import type { ConnectionConfig, ConnectorType } from "../connectors/types.js";
import { hostRefusalIn, SourceError, type SourceErrorType } from "../sources/errors.js";
import { openSource } from "../sources/index.js";

export type ConnectionTestResult =
  | { status: "success"; tested_at: string; latency_ms: number; details: { version: string; server_time: string | null; schemas_available: string[] } }
  | { status: "failed"; tested_at: string; error: { type: SourceErrorType; message: string; code?: string } };

/** `query`: the connector's, where the source tests against it (a REST API's path). */
export type ConnectionTester = (type: ConnectorType, config: ConnectionConfig, query?: string | null) => Promise<ConnectionTestResult>;

export const testConnection: ConnectionTester = async (type, config, query) => {
  const tested_at = new Date().toISOString();
  const source = await openSource(type, config, { query });
  try {
    const check = await source.check();
    return {
      status: "success",
      tested_at,
      latency_ms: check.latencyMs,
      details: { version: check.version, server_time: check.serverTime ?? null, schemas_available: check.schemas ?? [] },
    };
  } catch (error) {
    // A host the network policy refuses is the caller's mistake: 400 host_not_allowed, not a failed test.
    const refusal = hostRefusalIn(error);
    if (refusal) throw refusal;
    const typed = error instanceof SourceError ? error : new SourceError("query_error", "the connection test failed unexpectedly");
    const message = scrubSecrets(typed.message, secretValues(config));
    return { status: "failed", tested_at, error: { type: typed.type, message, ...(typed.code ? { code: typed.code } : {}) } };
  } finally {
    await source.close();
  }
};
