// `npm start`: the local service. Prints the bootstrap owner key once, on first start.
import { ConfigurationError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import { createLogger } from "../runtime/logger.js";
import { startLocalService } from "./server.js";

const SHUTDOWN_GRACE_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig("local");
  const logger = createLogger(config.logLevel);
  const service = await startLocalService(config, logger);
  if (service.bootstrapKey) {
    process.stdout.write(
      [
        "",
        "  Created tenant 'default' with an owner API key. It is shown only this once:",
        "",
        `      ${service.bootstrapKey}`,
        "",
        "  Only its SHA-256 is stored. Create more keys with POST /api/v1/api-keys or `npm run keys -- create`.",
        "",
      ].join("\n") + "\n",
    );
  }
  logger.info("sluice listening", { url: service.url, data_dir: config.dataDir });

  let stopping = false;
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C reaches both npm and this process, so the signal may come twice.
    if (stopping) return;
    stopping = true;
    logger.info("shutting down: waiting for in-flight requests", { signal });
    const force = setTimeout(() => {
      logger.error("in-flight requests did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    service.close().then(
      () => {
        logger.info("stopped cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigurationError ? error.message : `startup failed: ${(error as Error).message}`;
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
});
