// A stored connector as the API shows it: no tenant, version, envelope or watermark; the config
// only redacted; the fields of connectors made before them with their defaults; a dbt connector
// without the pull settings it does not have.
import { spaceOf } from "./spaces.js";
import type { ConnectorItem, ConnectorView } from "./types.js";

/** A space-scoped route's slug: a connector of another space is not found there. */
export interface ConnectorScope {
  space?: string;
}

export function toView(item: ConnectorItem): ConnectorView {
  const { tenant: _t, version: _v, envelope: _e, config_redacted, watermark: _w, id, name, connector_type, ...rest } = item;
  const view: ConnectorView = {
    id, name, connector_type, ...rest,
    space: spaceOf(item),
    source_system_id: item.source_system_id ?? null,
    is_active: item.status !== "disabled",
    created_by: item.created_by ?? null,
    disabled_by: item.disabled_by ?? null,
    last_sync: item.last_sync ?? null,
    connection_config: config_redacted,
  };
  if (connector_type !== "dbt") return view;
  const { collection: _c, record_type: _r, query: _q, name_column: _n, id_column: _i, batch_size: _b, parallelism: _p, schedule: _s, timezone: _z, last_pull_at: _l, ...dbt } = view;
  return dbt as ConnectorView;
}
