// Connector errors beyond the shared ones in lib/errors.ts.
import { ConflictError, SluiceError, ValidationError } from "../errors.js";

/** `test_connection: true` on create or update, and the test failed: nothing was stored. */
export class ConnectionFailedError extends SluiceError {
  readonly errorType: string;
  readonly detail: string;
  readonly attemptedAt: string;
  readonly code: string | undefined;
  constructor(failure: { type: string; message: string; code?: string }, attemptedAt: string) {
    super("Failed to connect to the database; the connector was not saved");
    this.name = "ConnectionFailedError";
    this.errorType = failure.type;
    this.detail = failure.message;
    this.code = failure.code;
    this.attemptedAt = attemptedAt;
  }
}

/** A pull, connection test or metadata sync asked of a connector that has no connection (dbt). */
export class NoConnectionError extends ValidationError {
  constructor(action: string) {
    super(
      `a dbt connector has no connection to ${action}; its catalog comes from manifests: POST /api/v1/connectors/{id}/dbt-manifest`,
      "connector_type",
    );
    this.name = "NoConnectionError";
  }
}

/** A conditional write lost to another write of the same connector since it was read. */
export class VersionConflictError extends ConflictError {
  constructor() {
    super("the connector was changed by another request; read it again and retry");
    this.name = "VersionConflictError";
  }
}
