// The SDK's public types, read off the API's routes (paths.ts): each names what one answer or
// body is, so the SDK's signatures follow the OpenAPI document.
import type { paths } from "./paths.js";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? paths[P][M] : never;

/** The JSON an operation answers with the given status. */
export type ResponseOf<P extends keyof paths, M extends Method, S extends number = 200> =
  Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? (R[S] extends { content: { "application/json": infer T } } ? T : never) : never) : never;

/** The JSON body an operation takes. */
export type BodyOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

/** The query parameters an operation takes. */
export type QueryOf<P extends keyof paths, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A page of a list: `{items, next_cursor}`; pass `next_cursor` back as `cursor`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
export type PageQuery = {
  limit?: number;
  cursor?: string;
};

export type Connector = ResponseOf<"/api/v1/connectors/{id}", "get">;
export type ConnectorCreate = BodyOf<"/api/v1/connectors", "post">;
export type ConnectorUpdate = BodyOf<"/api/v1/connectors/{id}", "patch">;
export type ConnectorList = ResponseOf<"/api/v1/connectors", "get">;
export type ConnectorListQuery = QueryOf<"/api/v1/connectors", "get">;
export type ConnectorTypes = ResponseOf<"/api/v1/connector-types", "get">;
export type ConnectionTest = ResponseOf<"/api/v1/connectors/{id}/test", "post">;
export type ConnectorHealth = ResponseOf<"/api/v1/connectors/{id}/health", "get">;
/** A finished pull's summary (200) or a started one (202: `{run_id, status: "running"}`). */
export type PullAnswer = ResponseOf<"/api/v1/connectors/{id}/pull", "post", 200> | ResponseOf<"/api/v1/connectors/{id}/pull", "post", 202>;
export type Run = ResponseOf<"/api/v1/runs/{runId}", "get">;
export type RunList = ResponseOf<"/api/v1/connectors/{id}/runs", "get">;
export type SyncJob = ResponseOf<"/api/v1/connectors/{id}/sync", "post", 202>;
export type ManifestImport = ResponseOf<"/api/v1/connectors/{id}/dbt-manifest", "post">;
export type StoredRecord = ResponseOf<"/api/v1/records/{collection}/{recordType}/{sourceId}", "get">;
export type RecordList = ResponseOf<"/api/v1/records/{collection}/{recordType}", "get">;
export type IngestBatch = BodyOf<"/api/v1/ingest/{collection}/{recordType}/batch", "post">;
export type IngestSummary = ResponseOf<"/api/v1/ingest/{collection}/{recordType}/batch", "post">;
export type StreamSummary = ResponseOf<"/api/v1/ingest/{collection}/{recordType}/stream", "post">;
export type Ingestion = ResponseOf<"/api/v1/ingestions/{id}", "get">;
export type DeadLetterList = ResponseOf<"/api/v1/ingestions/{id}/errors", "get">;
export type WebhookSecretStatus = ResponseOf<"/api/v1/webhooks/secret", "get">;
export type RecordSchema = ResponseOf<"/api/v1/schemas/{collection}/{recordType}", "get">;
export type ApiKeyCreate = BodyOf<"/api/v1/api-keys", "post">;
export type CreatedApiKey = ResponseOf<"/api/v1/api-keys", "post", 201>;
export type CatalogList = ResponseOf<"/api/v1/catalog", "get">;
export type CatalogQuery = QueryOf<"/api/v1/catalog", "get">;
export type CatalogEntry = ResponseOf<"/api/v1/catalog/{entryId}", "get">;
export type SyncHistory = ResponseOf<"/api/v1/sync-history", "get">;
export type SyncHistoryQuery = QueryOf<"/api/v1/sync-history", "get">;
export type SyncRecord = ResponseOf<"/api/v1/sync-history/{id}", "get">;
