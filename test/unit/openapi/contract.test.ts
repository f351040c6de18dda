// The harness's contract check (test/support/contract.ts) refuses what the document does not
// describe: an undocumented field, status, route or content type; and accepts what it does.
import { describe, expect, it } from "vitest";
import { checkContract, ContractError } from "../../support/contract.js";

const json = new Headers({ "content-type": "application/json" });
const health = { connector_id: "conn_1", status: "unknown", last_check: null, metrics: { success_rate_24h: null, error_rate_24h: null, average_latency_ms: null, total_pulls_24h: 0, records_24h: 0, total_tests_24h: 0 }, recent_errors: [] };
const notFound = { error: "not_found", message: "connector \"x\" not found", request_id: "r1" };
const check = (method: string, url: string, status: number, body: unknown, headers = json) => () =>
  checkContract(method, url, status, headers, body, body === undefined ? "" : JSON.stringify(body));

describe("the contract check", () => {
  it("accepts a documented response, with a query string on the request", () => {
    expect(check("GET", "/api/v1/connectors/conn_1/health?x=1", 200, health)).not.toThrow();
    expect(check("GET", "/api/v1/connectors/conn_1", 404, notFound)).not.toThrow();
  });

  it("refuses a field the closed schema does not have, and a missing one", () => {
    expect(check("GET", "/api/v1/connectors/conn_1/health", 200, { ...health, secret: "x" })).toThrow(/must NOT have additional properties \(secret\)/);
    const { recent_errors: _r, ...missing } = health;
    expect(check("GET", "/api/v1/connectors/conn_1/health", 200, missing)).toThrow(/must have required property 'recent_errors'/);
    expect(check("GET", "/api/v1/connectors/conn_1", 404, { ...notFound, stack: "at …" })).toThrow(ContractError);
  });

  it("refuses a status the operation does not document", () => {
    expect(check("GET", "/api/v1/connectors/conn_1/health", 418, notFound)).toThrow(/documents .*not 418/);
  });

  it("takes an unknown path or method only as Hono's 404", () => {
    expect(check("GET", "/api/v1/nothing-here", 404, { error: "not_found", message: "no route", request_id: "r" })).not.toThrow();
    expect(check("GET", "/api/v1/nothing-here", 200, {})).toThrow(/no path of the document matches/);
    expect(check("PUT", "/api/v1/connectors/conn_1/health", 200, health)).toThrow(/no PUT operation/);
  });

  it("matches a source_id holding slashes, and checks other bodies by content type", () => {
    const record = { source_id: "a/b", name: "n", vertical_data: {}, content_hash: "h", origin: { kind: "push", id: "ing_1" }, created_at: "t", updated_at: "t" };
    expect(check("GET", "/api/v1/records/c/r/a/b", 200, record)).not.toThrow();
    const html = new Headers({ "content-type": "text/html; charset=UTF-8" });
    expect(check("GET", "/docs", 200, "<!doctype html>", html)).not.toThrow();
    expect(check("GET", "/docs", 200, {})).toThrow(/Content-Type "application\/json" is not one of text\/html/);
    expect(check("DELETE", "/api/v1/connectors/conn_1", 204, undefined, new Headers())).not.toThrow();
    expect(() => checkContract("DELETE", "/api/v1/connectors/conn_1", 204, new Headers(), undefined, "x")).toThrow(/without a body/);
  });
});
