// Errors raised by the schedule module; the HTTP layer maps CronError to a 400 for the caller.

export class CronError extends Error {
  /** Why the expression was refused, phrased for the person who wrote it (same as `message`). */
  readonly reason: string;
  /** The expression as given, when there was one, so logs show what was refused. */
  readonly expression: string | undefined;

  constructor(reason: string, expression?: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = "CronError";
    this.reason = reason;
    this.expression = expression;
  }
}

/** A schedule could not be written or removed; `cause` is the scheduler backend's error. */
export class SchedulerError extends Error {
  readonly operation: "upsert" | "remove";
  readonly tenant: string;
  readonly connectorId: string;
  readonly scheduleName: string;

  constructor(
    message: string,
    context: { operation: "upsert" | "remove"; tenant: string; connectorId: string; scheduleName: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SchedulerError";
    this.operation = context.operation;
    this.tenant = context.tenant;
    this.connectorId = context.connectorId;
    this.scheduleName = context.scheduleName;
  }
}
