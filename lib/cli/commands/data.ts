// `sluice records export`, `sluice ingest FILE.ndjson` and `sluice dbt upload`: moving data in
// and out, streamed both ways.
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Command } from "commander";
import { positiveInt, withContext } from "../context.js";
import { UsageError } from "../errors.js";
import { ProgressBar } from "../progressBar.js";

export function recordsCommand(): Command {
  const command = new Command("records").description("read stored records");
  command
    .command("export <collection> <record_type>")
    .description("every record, one JSON object per line (NDJSON) on stdout")
    .option("--limit <n>", "records per request (1-100)", positiveInt("--limit"))
    .action(
      withContext(async (ctx, collection: string, recordType: string, options: { limit?: number }) => {
        for await (const record of ctx.client.records.iterate(collection, recordType, { limit: options.limit ?? 100 })) {
          // Respect stdout's backpressure: a slow reader (| head, a pipe to a file) slows the export.
          if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await once(process.stdout, "drain");
        }
      }),
    );
  return command;
}

export function ingestCommand(): Command {
  return new Command("ingest")
    .description("stream an NDJSON file into a collection (- reads stdin), with a progress bar")
    .argument("<file>", "one JSON record per line")
    .requiredOption("-c, --collection <name>", "the collection to write")
    .requiredOption("-t, --record-type <name>", "the record type to write")
    .action(
      withContext(async (ctx, file: string, options: { collection: string; recordType: string }) => {
        let total: number | undefined;
        if (file !== "-") {
          const info = await stat(file).catch(() => undefined);
          if (!info?.isFile()) throw new UsageError(`${file}: no such file`);
          total = info.size;
        }
        const source = file === "-" ? process.stdin : createReadStream(file);
        const bar = new ProgressBar("ingest", { enabled: !ctx.json });
        let summary;
        try {
          summary = await ctx.client.ingest.stream(options.collection, options.recordType, source as AsyncIterable<Uint8Array>, {
            onBytes: (sent) => bar.update({ done: sent, total, unit: "bytes" }),
          });
        } finally {
          bar.finish();
          if (source !== process.stdin) (source as ReturnType<typeof createReadStream>).destroy();
        }
        ctx.print(summary);
      }),
    );
}

export function dbtCommand(): Command {
  const command = new Command("dbt").description("dbt manifests");
  command
    .command("upload <id> <file>")
    .description("import a manifest.json (or .json.gz) into a dbt connector's catalog")
    .action(withContext(async (ctx, id: string, file: string) => ctx.print(await ctx.client.connectors.uploadDbtManifest(id, file))));
  return command;
}
