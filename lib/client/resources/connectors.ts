// client.connectors: CRUD, connection tests, pulls (waited to their end when asked), disable and
// enable, health, metadata syncs and dbt manifest uploads (seed 004's resource, in TS naming).
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { SluiceFileNotFoundError } from "../errors.js";
import { everyItem } from "../pagination.js";
import { unwrap, type ApiClient } from "../transport.js";
import type {
  ConnectionTest,
  Connector,
  ConnectorCreate,
  ConnectorHealth,
  ConnectorList,
  ConnectorListQuery,
  ConnectorTypes,
  ConnectorUpdate,
  ManifestImport,
  PullAnswer,
  Run,
  SyncJob,
} from "../types.js";
import type { Runs, WaitOptions } from "./runs.js";

export interface PullOptions extends WaitOptions {
  /** Seconds the service holds the request for the run to finish (0–900; default the service's 25). */
  waitSeconds?: number;
}

/**
 * The file's bytes, or SluiceFileNotFoundError before anything is sent (seed 004: a missing
 * manifest raises before any API call).
 */
export async function readLocalFile(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new SluiceFileNotFoundError(path);
  if (!info.isFile()) throw new SluiceFileNotFoundError(path, "not a file");
  return readFile(path);
}

/** The multipart body of a manifest upload, from a file checked before anything is sent. */
export async function manifestForm(path: string): Promise<FormData> {
  const bytes = await readLocalFile(path);
  const form = new FormData();
  form.append("manifest_file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/json" }), basename(path));
  return form;
}

/** openapi-fetch passes a FormData body through as it is (fetch sets the boundary). */
export const formBody = { bodySerializer: (body: unknown) => body as FormData };

export class Connectors {
  constructor(
    private readonly api: ApiClient,
    private readonly runs: Runs,
  ) {}

  /** One page of connectors (filters `type`, `status`, `space`; `limit`, `cursor`). */
  list(query: ConnectorListQuery = {}): Promise<ConnectorList> {
    return unwrap(this.api.GET("/api/v1/connectors", { params: { query } }));
  }

  /** Every connector matching the filters, page by page. */
  iterate(query: Omit<ConnectorListQuery, "cursor"> = {}): AsyncGenerator<Connector> {
    return everyItem((cursor) => this.list({ include_available: false, ...query, cursor }));
  }

  get(id: string): Promise<Connector> {
    return unwrap(this.api.GET("/api/v1/connectors/{id}", { params: { path: { id } } }));
  }

  create(body: ConnectorCreate): Promise<Connector> {
    return unwrap(this.api.POST("/api/v1/connectors", { body }));
  }

  /** Top-level fields replace; `connection_config` is merged (a field set to null is removed). */
  update(id: string, fields: ConnectorUpdate): Promise<Connector> {
    return unwrap(this.api.PATCH("/api/v1/connectors/{id}", { params: { path: { id } }, body: fields }));
  }

  /** `force` also deletes a connector whose pull is running. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    await unwrap(this.api.DELETE("/api/v1/connectors/{id}", { params: { path: { id }, query: options.force ? { force: true } : {} } }));
  }

  /** What can be created, with each type's config schema. */
  types(): Promise<ConnectorTypes> {
    return unwrap(this.api.GET("/api/v1/connector-types", {}));
  }

  /** A connection test; a failed test is an answer (`status: "failed"`), not an error. */
  test(id: string): Promise<ConnectionTest> {
    return unwrap(this.api.POST("/api/v1/connectors/{id}/test", { params: { path: { id } } }));
  }

  /**
   * Runs a pull now. Without `wait`, the service's answer: the summary, or `{run_id, status:
   * "running"}` once `waitSeconds` passed. With `wait: true`, the run record once it has ended,
   * polled meanwhile (its checkpoints are `onProgress`'s live progress).
   */
  pull(id: string, options: PullOptions & { wait: true }): Promise<Run>;
  pull(id: string, options?: PullOptions & { wait?: false }): Promise<PullAnswer>;
  async pull(id: string, options: PullOptions & { wait?: boolean } = {}): Promise<Run | PullAnswer> {
    const waitSeconds = options.waitSeconds ?? (options.wait ? 0 : undefined);
    const query = waitSeconds === undefined ? {} : { wait: waitSeconds };
    const answer: PullAnswer = await unwrap(this.api.POST("/api/v1/connectors/{id}/pull", { params: { path: { id }, query } }));
    if (!options.wait) return answer;
    return this.runs.wait(answer.run_id, options);
  }

  disable(id: string, reason?: string): Promise<Connector> {
    return unwrap(this.api.POST("/api/v1/connectors/{id}/disable", { params: { path: { id } }, body: reason === undefined ? {} : { reason } }));
  }

  enable(id: string): Promise<Connector> {
    return unwrap(this.api.POST("/api/v1/connectors/{id}/enable", { params: { path: { id } } }));
  }

  health(id: string): Promise<ConnectorHealth> {
    return unwrap(this.api.GET("/api/v1/connectors/{id}/health", { params: { path: { id } } }));
  }

  /** Starts a metadata sync (answers at once with its job; read it in the sync history). */
  sync(id: string): Promise<SyncJob> {
    return unwrap(this.api.POST("/api/v1/connectors/{id}/sync", { params: { path: { id } } }));
  }

  /** Imports a dbt manifest.json (or .json.gz) from disk; a missing file throws before any request. */
  async uploadDbtManifest(id: string, path: string): Promise<ManifestImport> {
    const form = await manifestForm(path);
    return unwrap(this.api.POST("/api/v1/connectors/{id}/dbt-manifest", { params: { path: { id } }, body: form as never, ...formBody }));
  }
}
