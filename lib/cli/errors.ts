// The CLI's own failures, each with the exit code it ends the process with (see exitCodes.ts).
import { EXIT } from "./exitCodes.js";

/** Bad arguments, a missing setting or input file: the command never reached the service. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The service did what was asked, and the outcome was a failure (a waited pull that failed, a failed test). */
export class OutcomeFailedError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(message: string) {
    super(message);
    this.name = "OutcomeFailedError";
  }
}
