// How long the process running a pull may go on: a Lambda invocation's remaining time, or none
// (the local service). A pull stops at a batch boundary before its deadline and continues in a
// new invocation from its checkpoint.
export interface Deadline {
  /** Milliseconds left; Infinity when there is no deadline. */
  remainingMs(): number;
}

export const NO_DEADLINE: Deadline = { remainingMs: () => Infinity };

/** Thrown between batches when the deadline is near: the partition is handed to a new invocation. */
export class DeadlineReached extends Error {
  constructor() {
    super("the invocation's deadline is near; continuing in a new invocation");
    this.name = "DeadlineReached";
  }
}
