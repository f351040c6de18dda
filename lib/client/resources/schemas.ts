// client.schemas: the JSON Schema a collection's records' vertical_data must match.
import { unwrap, type ApiClient } from "../transport.js";
import type { RecordSchema } from "../types.js";

export class Schemas {
  constructor(private readonly api: ApiClient) {}

  /** Creates or replaces the schema (draft 2020-12). */
  put(collection: string, recordType: string, schema: Record<string, unknown> | boolean): Promise<RecordSchema> {
    return unwrap(this.api.PUT("/api/v1/schemas/{collection}/{recordType}", { params: { path: { collection, recordType } }, body: { schema } }));
  }

  get(collection: string, recordType: string): Promise<RecordSchema> {
    return unwrap(this.api.GET("/api/v1/schemas/{collection}/{recordType}", { params: { path: { collection, recordType } } }));
  }

  async delete(collection: string, recordType: string): Promise<void> {
    await unwrap(this.api.DELETE("/api/v1/schemas/{collection}/{recordType}", { params: { path: { collection, recordType } } }));
  }
}
