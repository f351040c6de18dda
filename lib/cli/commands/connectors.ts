// `sluice connectors …`: list, get, create, update, delete, test, pull (waited with a live
// progress bar), runs, health, sync, disable, enable.
import { Command } from "commander";
import type { Run } from "../../client/index.js";
import { positiveInt, readJsonFile, withContext, type CliContext } from "../context.js";
import { OutcomeFailedError } from "../errors.js";
import { ProgressBar, type Progress } from "../progressBar.js";

const CONNECTOR_COLUMNS = ["id", "name", "connector_type", "status", "collection", "record_type", "last_pull_at"];
const RUN_COLUMNS = ["run_id", "trigger", "status", "records_pulled", "records_uploaded", "duplicates_skipped", "records_rejected", "started_at", "duration_seconds"];

/**
 * A run's live progress: the checkpoint's counts against the planner's estimate, its chunks and
 * partitions; before the first checkpoint lands, the run's counts alone.
 */
export function runProgress(run: Run): Progress {
  const parts: string[] = [];
  if (run.chunks_done !== undefined) parts.push(`${run.chunks_done} chunk${run.chunks_done === 1 ? "" : "s"}`);
  const partitions = Object.values(run.partitions ?? {});
  if (partitions.length > 1) parts.push(`partitions ${partitions.filter((p) => p.status === "completed").length}/${partitions.length}`);
  if (run.duplicates_skipped) parts.push(`${run.duplicates_skipped.toLocaleString("en-US")} unchanged`);
  if (run.records_rejected) parts.push(`${run.records_rejected.toLocaleString("en-US")} rejected`);
  return { done: run.records_pulled, total: run.records_estimate ?? null, unit: "records", detail: parts.join(", ") || undefined };
}

async function pull(ctx: CliContext, id: string, options: { wait?: boolean; timeout?: number }): Promise<void> {
  if (!options.wait) {
    ctx.print(await ctx.client.connectors.pull(id, options.timeout === undefined ? {} : { waitSeconds: options.timeout }));
    return;
  }
  const bar = new ProgressBar("pull", { enabled: !ctx.json });
  let run: Run;
  try {
    run = await ctx.client.connectors.pull(id, {
      wait: true,
      timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
      onProgress: (current) => bar.update(runProgress(current)),
    });
  } finally {
    bar.finish();
  }
  ctx.print(run);
  if (run.status !== "completed") throw new OutcomeFailedError(`run ${run.run_id} ended ${run.status}${run.error ? `: ${run.error.type}: ${run.error.message}` : ""}`);
}

export function connectorsCommand(): Command {
  const command = new Command("connectors").description("manage connectors, pull them, read their runs");

  command
    .command("list")
    .description("list connectors (one page, or every one with --all)")
    .option("--type <type>", "postgresql, mysql, mongodb, neo4j, rest_api or dbt")
    .option("--status <status>", "active, running, error or disabled")
    .option("--space <slug>", "one space's connectors")
    .option("--limit <n>", "connectors per page (1-100)", positiveInt("--limit"))
    .option("--cursor <cursor>", "the previous page's next_cursor")
    .option("--all", "every page")
    .action(
      withContext(async (ctx, options: { type?: string; status?: string; space?: string; limit?: number; cursor?: string; all?: boolean }) => {
        const { all, ...query } = options;
        const filters = { ...query, include_available: false } as Parameters<typeof ctx.client.connectors.list>[0];
        if (all) {
          const items = [];
          for await (const connector of ctx.client.connectors.iterate(filters)) items.push(connector);
          ctx.table(items, CONNECTOR_COLUMNS, { items, next_cursor: null });
          return;
        }
        const page = await ctx.client.connectors.list(filters);
        ctx.table(page.items, CONNECTOR_COLUMNS, page);
        if (page.next_cursor) ctx.note(`more: --cursor ${page.next_cursor}`);
      }),
    );

  command.command("get <id>").description("one connector").action(withContext(async (ctx, id: string) => ctx.print(await ctx.client.connectors.get(id))));

  command
    .command("create")
    .description("create a connector from a JSON body")
    .requiredOption("-f, --file <body.json>", "the body (QANATIX, Querri or Qarion fields); - reads stdin")
    .action(withContext(async (ctx, options: { file: string }) => ctx.print(await ctx.client.connectors.create((await readJsonFile(options.file)) as never))));

  command
    .command("update <id>")
    .description("update a connector (fields replace; connection_config is merged)")
    .requiredOption("-f, --file <fields.json>", "the fields to change; - reads stdin")
    .action(withContext(async (ctx, id: string, options: { file: string }) => ctx.print(await ctx.client.connectors.update(id, (await readJsonFile(options.file)) as never))));

  command
    .command("delete <id>")
    .description("delete a connector")
    .option("--force", "also while its pull runs")
    .action(
      withContext(async (ctx, id: string, options: { force?: boolean }) => {
        await ctx.client.connectors.delete(id, { force: options.force === true });
        ctx.print(ctx.json ? { id, deleted: true } : `deleted ${id}`);
      }),
    );

  command
    .command("test <id>")
    .description("test the connection (exit 3 when it fails)")
    .action(
      withContext(async (ctx, id: string) => {
        const result = await ctx.client.connectors.test(id);
        ctx.print(result);
        if (result.status !== "success") throw new OutcomeFailedError(`the connection test failed${result.error ? `: ${result.error.type}: ${result.error.message}` : ""}`);
      }),
    );

  command
    .command("pull <id>")
    .description("pull now; --wait follows the run to its end with a progress bar (exit 3 when it fails)")
    .option("--wait", "poll the run until it ends, showing its progress")
    .option("--timeout <seconds>", "with --wait: stop waiting after this long; without: the service's ?wait=", positiveInt("--timeout"))
    .action(withContext(pull));

  command
    .command("runs <id>")
    .description("a connector's runs, newest first")
    .option("--limit <n>", "runs per page (1-100)", positiveInt("--limit"))
    .option("--cursor <cursor>", "the previous page's next_cursor")
    .action(
      withContext(async (ctx, id: string, options: { limit?: number; cursor?: string }) => {
        const page = await ctx.client.runs.list(id, options);
        ctx.table(page.items, RUN_COLUMNS, page);
        if (page.next_cursor) ctx.note(`more: --cursor ${page.next_cursor}`);
      }),
    );

  command.command("run <run_id>").description("one run, with its checkpoint").action(withContext(async (ctx, runId: string) => ctx.print(await ctx.client.runs.get(runId))));
  command.command("health <id>").description("success and error rates, latency, recent errors").action(withContext(async (ctx, id: string) => ctx.print(await ctx.client.connectors.health(id))));
  command.command("sync <id>").description("start a metadata sync").action(withContext(async (ctx, id: string) => ctx.print(await ctx.client.connectors.sync(id))));
  command
    .command("disable <id>")
    .description("pause a connector and its schedule")
    .option("--reason <text>", "why (shown as disabled_reason)")
    .action(withContext(async (ctx, id: string, options: { reason?: string }) => ctx.print(await ctx.client.connectors.disable(id, options.reason))));
  command.command("enable <id>").description("resume a disabled connector").action(withContext(async (ctx, id: string) => ctx.print(await ctx.client.connectors.enable(id))));

  return command;
}
