// The OpenAPI registry of the pull routes: pull now, connection tests and the sync history.
import { z } from "zod";
import { pageQuery } from "../parameters.js";
import { API, type OperationDoc } from "../registry.js";
import { connectionTest, page, pullStarted, pullSummary, runRecord } from "../schemas.js";

const tag = "Pulls";

export const pullOperations: OperationDoc[] = [
  {
    method: "post", path: `${API}/connectors/:id/pull`, tag, summary: "Run a pull now",
    description: "Waits up to `wait` seconds: a finished run answers 200 with its counts, one still running 202 with its run_id (poll GET /runs/{run_id}).",
    query: z.object({ wait: z.number().min(0).max(900).default(25).optional().describe("seconds to wait for the run (held to what the runtime allows)") }),
    responses: { 200: { description: "the run finished", schema: pullSummary }, 202: { description: "the run is still running", schema: pullStarted } },
    errors: [400, 409],
  },
  {
    method: "post", path: `${API}/connectors/:id/test`, tag, summary: "Test the connection: latency, server version, schemas",
    responses: { 200: { description: "the outcome, success or failed with a typed error", schema: connectionTest } },
    errors: [400],
  },
  {
    method: "get", path: `${API}/connectors/:id/runs`, tag, summary: "The connector's sync history",
    query: z.object(pageQuery), responses: { 200: { description: "a page of runs, newest first", schema: page(runRecord) } },
  },
  { method: "get", path: `${API}/runs/:runId`, tag, summary: "One run, with its live progress", responses: { 200: { description: "the run", schema: runRecord } } },
];
