// Catalog errors beyond the shared ones in lib/errors.ts.
import { ConflictError, ValidationError } from "../errors.js";

/** An uploaded manifest that is not one Sluice can import: the reason says why. */
export class ManifestError extends ValidationError {
  constructor(message: string, details?: unknown) {
    super(message, "manifest_file", details);
    this.name = "ManifestError";
  }
}

/** A sync or manifest import of the connector is already running. */
export class SyncRunningError extends ConflictError {
  constructor(syncId: string) {
    super("a sync of this connector is already running; retry when it has finished", { sync_id: syncId });
    this.name = "SyncRunningError";
  }
}
