// client.space(slug).connectors: Qarion's space-scoped connectors (seed 004's `space_slug`
// argument), on /catalog/spaces/{slug}/…: the whole space as an array, connectors with `config`.
import { unwrap, type ApiClient } from "../transport.js";
import type { BodyOf, QueryOf, ResponseOf } from "../types.js";
import { formBody, manifestForm } from "./connectors.js";

const SPACE = "/api/v1/catalog/spaces/{slug}/connectors";
const ONE = "/api/v1/catalog/spaces/{slug}/connectors/{id}";

export type SpaceConnector = ResponseOf<typeof ONE, "get">;

export class SpaceConnectors {
  constructor(
    private readonly api: ApiClient,
    private readonly slug: string,
  ) {}

  private one(id: string) {
    return { params: { path: { slug: this.slug, id } } };
  }

  /** Every connector of the space. */
  list(): Promise<ResponseOf<typeof SPACE, "get">> {
    return unwrap(this.api.GET(SPACE, { params: { path: { slug: this.slug } } }));
  }

  get(id: string): Promise<SpaceConnector> {
    return unwrap(this.api.GET(ONE, this.one(id)));
  }

  /** `{name, connector_type, config?, credentials?, source_system_id?, …}`, created in this space. */
  create(body: BodyOf<typeof SPACE, "post">): Promise<ResponseOf<typeof SPACE, "post", 201>> {
    return unwrap(this.api.POST(SPACE, { params: { path: { slug: this.slug } }, body }));
  }

  update(id: string, fields: BodyOf<typeof ONE, "patch">): Promise<SpaceConnector> {
    return unwrap(this.api.PATCH(ONE, { ...this.one(id), body: fields }));
  }

  async delete(id: string): Promise<void> {
    await unwrap(this.api.DELETE(ONE, this.one(id)));
  }

  sync(id: string): Promise<ResponseOf<"/api/v1/catalog/spaces/{slug}/connectors/{id}/sync", "post", 202>> {
    return unwrap(this.api.POST("/api/v1/catalog/spaces/{slug}/connectors/{id}/sync", this.one(id)));
  }

  /** A missing file throws SluiceFileNotFoundError before any request. */
  async uploadDbtManifest(id: string, path: string): Promise<ResponseOf<"/api/v1/catalog/spaces/{slug}/connectors/{id}/dbt-manifest", "post">> {
    const form = await manifestForm(path);
    return unwrap(this.api.POST("/api/v1/catalog/spaces/{slug}/connectors/{id}/dbt-manifest", { ...this.one(id), body: form as never, ...formBody }));
  }

  /** The space's syncs and imports, newest first. */
  syncHistory(query: QueryOf<"/api/v1/catalog/spaces/{slug}/sync-history", "get"> = {}): Promise<ResponseOf<"/api/v1/catalog/spaces/{slug}/sync-history", "get">> {
    return unwrap(this.api.GET("/api/v1/catalog/spaces/{slug}/sync-history", { params: { path: { slug: this.slug }, query } }));
  }
}

export class Space {
  readonly connectors: SpaceConnectors;
  constructor(api: ApiClient, slug: string) {
    this.connectors = new SpaceConnectors(api, slug);
  }
}
