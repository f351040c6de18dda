// Errors raised by lib/store: a lease another owner holds or took over, and a batch request
// DynamoDB kept leaving unprocessed.
import { ConflictError, SluiceError } from "../errors.js";

export interface LeaseHolder {
  owner: string;
  /** Epoch ms. */
  expiresAt: number;
}

// Lease names are `<kind>#<tenant>#<connector>` and the owner is the run (pull) or sync id; the
// message names the work that holds it, never the key, which carries the tenant.
function heldMessage(name: string, holder: LeaseHolder): string {
  const kind = name.slice(0, name.indexOf("#"));
  const what = kind === "pull" ? `a pull of this connector is running (run ${holder.owner})` : kind === "sync" ? `a sync of this connector is running (sync ${holder.owner})` : `this connector is busy (held by ${holder.owner})`;
  return `${what}; retry when it has finished`;
}

/** The lease is held by another owner and has not expired (a pull is already running). */
export class LeaseHeldError extends ConflictError {
  readonly holder: LeaseHolder;
  constructor(name: string, holder: LeaseHolder) {
    super(heldMessage(name, holder), { holder });
    this.name = "LeaseHeldError";
    this.holder = holder;
  }
}

/** A renewal found the lease gone or owned by someone else: the holder must stop its work. */
export class LeaseLostError extends SluiceError {
  readonly lease: string;
  readonly owner: string;
  constructor(lease: string, owner: string) {
    super(`lease ${JSON.stringify(lease)} is no longer held by ${JSON.stringify(owner)}`);
    this.name = "LeaseLostError";
    this.lease = lease;
    this.owner = owner;
  }
}

/** BatchWriteItem/BatchGetItem still left items unprocessed after every retry (throttling). */
export class UnprocessedItemsError extends SluiceError {
  readonly operation: "BatchWriteItem" | "BatchGetItem";
  readonly table: string;
  readonly unprocessed: number;
  constructor(operation: "BatchWriteItem" | "BatchGetItem", table: string, unprocessed: number, attempts: number) {
    super(`${operation} on ${table} left ${unprocessed} item(s) unprocessed after ${attempts} attempts`);
    this.name = "UnprocessedItemsError";
    this.operation = operation;
    this.table = table;
    this.unprocessed = unprocessed;
  }
}
