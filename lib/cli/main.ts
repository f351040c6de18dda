// The `sluice` command's entry (bin/sluice.js imports it): runs the program, sets the exit code.
import { EXIT } from "./exitCodes.js";
import { main } from "./program.js";

// A reader that went away (`sluice records export … | head`) ends the export, not in a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(EXIT.ok);
});

process.exitCode = await main();
