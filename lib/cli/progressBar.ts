// A one-line progress display on stderr: redrawn in place with \r on a terminal; elsewhere
// (a pipe, a log file) a plain line at most every `intervalMs`, so logs stay readable.

export interface Progress {
  done: number;
  /** When known: the bar and percentage are drawn against it. */
  total?: number | null;
  /** What is counted, e.g. "records", "bytes". */
  unit: string;
  /** Extra words after the counts: "3 chunks, partitions 1/2". */
  detail?: string;
}

export interface ProgressBarOptions {
  /** Where to draw (default process.stderr); a stream with `isTTY` gets the redrawn bar. */
  stream?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Off under --json: nothing is written. */
  enabled?: boolean;
  /** Non-TTY: the least time between two lines (default 1 s). */
  intervalMs?: number;
}

const WIDTH = 24;
const REDRAW_MS = 80;

function formatCount(value: number, unit: string): string {
  if (unit !== "bytes") return value.toLocaleString("en-US");
  const units = ["B", "KB", "MB", "GB"];
  let size = value;
  let index = 0;
  while (size >= 1024 && index < units.length - 1) {
    size /= 1024;
    index++;
  }
  return `${index === 0 ? size : size.toFixed(1)} ${units[index]}`;
}

/** `label [#######-----]  58%  1,650/2,847 records  3 chunks` */
export function renderProgress(label: string, progress: Progress, width = WIDTH): string {
  const { done, total, unit } = progress;
  const counted = unit === "bytes" ? "" : ` ${unit}`;
  let line: string;
  if (total && total > 0) {
    const share = Math.min(1, done / total);
    const filled = Math.round(share * width);
    line = `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${formatCount(done, unit)}/${formatCount(total, unit)}${counted}`;
  } else {
    line = `${label} ${formatCount(done, unit)}${counted}`;
  }
  return progress.detail ? `${line}  ${progress.detail}` : line;
}

export class ProgressBar {
  private readonly stream: NonNullable<ProgressBarOptions["stream"]>;
  private readonly enabled: boolean;
  private readonly intervalMs: number;
  private lastDrawn = 0;
  private lastLine = "";
  private pending: Progress | undefined;

  constructor(
    private readonly label: string,
    options: ProgressBarOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? true;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update(progress: Progress): void {
    if (!this.enabled) return;
    this.pending = progress;
    const now = Date.now();
    if (now - this.lastDrawn < (this.tty ? REDRAW_MS : this.intervalMs)) return;
    this.draw(progress, now);
  }

  private draw(progress: Progress, now: number): void {
    const line = renderProgress(this.label, progress);
    this.pending = undefined;
    if (line === this.lastLine) return;
    this.lastDrawn = now;
    this.lastLine = line;
    if (this.tty) {
      const columns = this.stream.columns || 80; // 0 when the terminal does not say
      this.stream.write(`\r${line.slice(0, Math.max(10, columns - 1))}\x1b[K`);
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Draws the last state (skipped by throttling) and ends the line. */
  finish(progress?: Progress): void {
    if (!this.enabled) return;
    const last = progress ?? this.pending;
    if (last) this.draw(last, Date.now());
    if (this.tty && this.lastLine) this.stream.write("\n");
  }
}
