// The `sluice` command's program: commander over the SDK. SLUICE_URL and SLUICE_KEY come from the
// environment; errors end the process with the codes of exitCodes.ts.
import { Command, CommanderError } from "commander";
import { SluiceConnectionError, SluiceError, SluiceFileNotFoundError } from "../client/index.js";
import { RunWaitTimeoutError } from "../client/resources/runs.js";
import { connectorsCommand } from "./commands/connectors.js";
import { dbtCommand, ingestCommand, recordsCommand } from "./commands/data.js";
import { keysCommand } from "./commands/keys.js";
import { DEFAULT_URL } from "./context.js";
import { OutcomeFailedError, UsageError } from "./errors.js";
import { EXIT } from "./exitCodes.js";

export function program(): Command {
  const root = new Command("sluice")
    .description(`the Sluice API from the shell (SLUICE_URL, default ${DEFAULT_URL}; SLUICE_KEY, an API key)`)
    .option("--json", "print only JSON (one document per line), no progress")
    .option("--url <url>", "the service root, instead of SLUICE_URL")
    .showHelpAfterError()
    .exitOverride();
  for (const command of [connectorsCommand(), recordsCommand(), ingestCommand(), dbtCommand(), keysCommand()]) root.addCommand(command);
  // Subcommands throw instead of exiting, like the root, so main() picks the exit code.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(root);
  return root;
}

function report(json: boolean, body: Record<string, unknown>, text: string): void {
  process.stderr.write(json ? `${JSON.stringify(body)}\n` : `sluice: ${text}\n`);
}

/** The exit code an error ends the process with, after saying what went wrong on stderr. */
export function exitCodeOf(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it already
  if (error instanceof SluiceError) {
    const body = { status: error.status, error: error.error, message: error.message, field: error.field, details: error.details, request_id: error.request_id };
    const where = [error.field && `field ${error.field}`, error.request_id && `request ${error.request_id}`].filter(Boolean).join(", ");
    report(json, body, `${error.status} ${error.error}: ${error.message}${where ? ` (${where})` : ""}`);
    return EXIT.apiError;
  }
  if (error instanceof UsageError || error instanceof SluiceFileNotFoundError) {
    report(json, { error: "usage_error", message: error.message }, error.message);
    return EXIT.usage;
  }
  if (error instanceof RunWaitTimeoutError) {
    report(json, { error: "still_running", message: error.message, run_id: error.run_id }, `${error.message}; it goes on in the service: sluice connectors run ${error.run_id}`);
    return EXIT.stillRunning;
  }
  if (error instanceof OutcomeFailedError) {
    report(json, { error: "failed", message: error.message }, error.message);
    return EXIT.failed;
  }
  if (error instanceof SluiceConnectionError) {
    report(json, { error: "unreachable", message: error.message }, error.message);
    return EXIT.unreachable;
  }
  throw error;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    return exitCodeOf(error, argv.includes("--json"));
  }
}
