// What every command runs with: the SDK client from SLUICE_URL / SLUICE_KEY, and the output
// mode (--json prints only JSON on stdout; otherwise tables and indented JSON for people).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Sluice } from "../client/index.js";
import { UsageError } from "./errors.js";

export const DEFAULT_URL = "http://127.0.0.1:3000";

export interface CliContext {
  client: Sluice;
  json: boolean;
  /** Writes the command's answer to stdout. */
  print(value: unknown): void;
  /** A list as a table of the named columns (or the answer as JSON under --json). */
  table(rows: Record<string, unknown>[], columns: string[], answer?: unknown): void;
  /** A note for people on stderr; silent under --json. */
  note(message: string): void;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(columns), ...cells.map(line)].join("\n") + "\n";
}

export function createContext(command: Command, env: NodeJS.ProcessEnv = process.env): CliContext {
  const options = command.optsWithGlobals<{ json?: boolean; url?: string }>();
  const json = options.json === true;
  const baseUrl = options.url ?? env.SLUICE_URL ?? DEFAULT_URL;
  const apiKey = env.SLUICE_KEY;
  if (!apiKey) throw new UsageError("SLUICE_KEY is not set: export SLUICE_KEY=<an API key> (the owner key printed by the first `npm start`)");
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) throw new UsageError(`SLUICE_URL must be the service root, e.g. ${DEFAULT_URL}; got ${JSON.stringify(baseUrl)}`);
  const client = new Sluice({ baseUrl, apiKey });
  const print = (value: unknown) => {
    if (value === undefined) return;
    process.stdout.write(json ? `${JSON.stringify(value)}\n` : typeof value === "string" ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
  };
  return {
    client,
    json,
    print,
    table: (rows, columns, answer) => (json ? print(answer ?? rows) : process.stdout.write(formatTable(rows, columns))),
    note: (message) => {
      if (!json) process.stderr.write(`${message}\n`);
    },
  };
}

/** A JSON body from a file (`-` reads stdin). */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Wraps an action: builds the context from the command the action was called on. */
export function withContext<A extends unknown[]>(action: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    await action(createContext(command), ...(args.slice(0, -1) as A));
  };
}

/** A whole number option ≥ 1. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) throw new UsageError(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
    return number;
  };
}
