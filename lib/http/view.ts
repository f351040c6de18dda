// What stored items look like in a response: the tenant is always the caller's own, so it is
// left out; a connector also shows its product count and what the caller's key may do with it.
import type { Context } from "hono";
import { roleAllows } from "../apiKeys/apiKeys.js";
import type { Role } from "../apiKeys/types.js";
import type { CatalogEntryRepository } from "../catalog/entryRepository.js";
import type { ConnectorPermissions, ConnectorView } from "../connectors/types.js";
import type { AppEnv } from "./types.js";

export function withoutTenant<T extends { tenant: string }>({ tenant: _tenant, ...rest }: T): Omit<T, "tenant"> {
  return rest;
}

/** Editors edit and delete; sharing (grants to other keys) is the owner's, as in Querri. */
export function permissionsOf(role: Role): ConnectorPermissions {
  return { can_edit: roleAllows(role, "editor"), can_delete: roleAllows(role, "editor"), can_share: roleAllows(role, "owner") };
}

export type PresentedConnector = ConnectorView & { product_count: number; permissions: ConnectorPermissions };

/** The connector for the caller: its live catalog entries counted, its permissions from the key's role or grant on it. */
export async function presentConnector(c: Context<AppEnv>, entries: Pick<CatalogEntryRepository, "countLive">, view: ConnectorView): Promise<PresentedConnector> {
  const { tenant } = c.get("principal");
  const [productCount, role] = await Promise.all([entries.countLive(tenant, view.id), c.get("access").roleOn(view.id)]);
  return { ...view, product_count: productCount, permissions: permissionsOf(role) };
}

/** Qarion's name for the config under its space routes; a PATCH takes `config` back as it is. */
export function qarionShape({ connection_config, ...rest }: PresentedConnector): Omit<PresentedConnector, "connection_config"> & { config: ConnectorView["connection_config"] } {
  return { ...rest, config: connection_config };
}
