// Catalog errors beyond the shared ones in lib/errors.ts.
import { ConflictError, ValidationError } from "../errors.js";

/** An uploaded manifest that is not one Sluice can import: the reason says why. */
export class ManifestError extends ValidationError {
  constructor(message: string, details?: unknown) {
    super(message, "manifest_file", details);
    this.name = "ManifestError";
  }
}

/** A manifest sent to a connector of another type: only dbt connectors take manifests. */
export class NotDbtConnectorError extends ValidationError {
  constructor(type: string) {
    super(
      `only a dbt connector takes manifests, and this one is ${type}: create a dbt connector and upload it there; its entries link to the tables this connector's sync discovered`,
      "connector_type",
    );
    this.name = "NotDbtConnectorError";
  }
}

/** A sync or manifest import of the connector is already running. */
export class SyncRunningError extends ConflictError {
  constructor(syncId: string) {
    super("a sync of this connector is already running; retry when it has finished", { sync_id: syncId });
    this.name = "SyncRunningError";
  }
}
