// Structured JSON-lines logger. Fields whose names look secret are masked before writing, as a
// second line of defence: callers must not pass secrets in the first place.
import { isSecretKey, REDACTED } from "../connectors/redaction.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogSink = (line: string) => void;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function mask(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => mask(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isSecretKey(key) ? REDACTED : mask(item, depth + 1)]),
  );
}

export function createLogger(level: LogLevel = "info", sink: LogSink = (line) => process.stdout.write(line + "\n")): Logger {
  const write = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[at] < order[level]) return;
    const entry = { time: new Date().toISOString(), level: at, message, ...(fields ? (mask(fields) as object) : {}) };
    sink(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
