// What a key may do with a connector: its tenant role or its grant on that connector, whichever
// is higher (grants only raise). One resolver per request, cached; the lookups one tick asks
// for (a list presenting its connectors) go to the store as one consistent BatchGetItem.
import type { MiddlewareHandler } from "hono";
import { roleAllows } from "../apiKeys/apiKeys.js";
import type { Principal, Role } from "../apiKeys/types.js";
import { ForbiddenError } from "../errors.js";
import type { AppEnv } from "../http/types.js";
import type { ConnectorGrants } from "./grants.js";

export function higherRole(role: Role, grant: Role | undefined): Role {
  return grant !== undefined && roleAllows(grant, role) ? grant : role;
}

// /connectors/{id}[/…] and Qarion's /catalog/spaces/{slug}/connectors/{id}[/…]: the routes that act on one connector.
const connectorPath = /^\/api\/v1\/(?:catalog\/spaces\/[^/]+\/)?connectors\/([A-Za-z0-9_-]{1,128})(?:\/|$)/;

/** The connector a request path acts on, if any (an id no connector can have names none: the route answers 404). */
export function connectorOfPath(path: string): string | undefined {
  return connectorPath.exec(path)?.[1];
}

type Waiter = { resolve: (role: Role) => void; reject: (error: unknown) => void };

export class ConnectorAccess {
  private readonly known = new Map<string, Promise<Role>>();
  private batch: Map<string, Waiter> | undefined;

  constructor(
    private readonly grants: Pick<ConnectorGrants, "levels">,
    readonly principal: Principal,
  ) {}

  roleOn(connectorId: string): Promise<Role> {
    // An owner key has every level already.
    if (this.principal.role === "owner") return Promise.resolve("owner");
    let role = this.known.get(connectorId);
    if (!role) {
      role = this.enqueue(connectorId);
      this.known.set(connectorId, role);
    }
    return role;
  }

  /** 403 unless the key has `needed` on the connector, by its role or its grant. */
  async require(connectorId: string, needed: Role): Promise<void> {
    if (roleAllows(this.principal.role, needed)) return; // the role is enough: no grant to look up
    const role = await this.roleOn(connectorId);
    if (!roleAllows(role, needed)) {
      throw new ForbiddenError(`this action needs the ${needed} role or an ${needed} grant on the connector; the API key has ${role}`);
    }
  }

  private enqueue(connectorId: string): Promise<Role> {
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = new Map();
        queueMicrotask(() => void this.flush());
      }
      this.batch.set(connectorId, { resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.batch!;
    this.batch = undefined;
    try {
      const levels = await this.grants.levels(this.principal.tenant, this.principal.keyId, [...batch.keys()]);
      for (const [id, waiter] of batch) waiter.resolve(higherRole(this.principal.role, levels.get(id)));
    } catch (error) {
      for (const [id, waiter] of batch) {
        this.known.delete(id);
        waiter.reject(error);
      }
    }
  }
}

/** Gives every request its resolver (after authentication). */
export function connectorAccess(grants: Pick<ConnectorGrants, "levels">): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("access", new ConnectorAccess(grants, c.get("principal")));
    await next();
  };
}
