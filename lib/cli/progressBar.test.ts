// The progress display: redrawn in place on a terminal, plain throttled lines elsewhere, nothing when off.
import { expect, it } from "vitest";
import { ProgressBar, renderProgress } from "./progressBar.js";

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, columns: 200, write: (text: string) => written.push(text) } };
}

it("renders counts against a known total, and counts alone without one", () => {
  expect(renderProgress("pull", { done: 1650, total: 2847, unit: "records", detail: "3 chunks" })).toBe("pull [##############----------]  57%  1,650/2,847 records  3 chunks");
  expect(renderProgress("pull", { done: 40, unit: "records" })).toBe("pull 40 records");
  expect(renderProgress("ingest", { done: 3 * 1024 * 1024, total: 6 * 1024 * 1024, unit: "bytes" })).toBe("ingest [############------------]  50%  3.0 MB/6.0 MB");
});

it("on a terminal redraws one line with \\r and ends it on finish", async () => {
  const { written, stream } = sink(true);
  const bar = new ProgressBar("pull", { stream });
  bar.update({ done: 10, total: 40, unit: "records" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  bar.update({ done: 40, total: 40, unit: "records" });
  bar.finish();
  expect(written).toEqual(["\rpull [######------------------]  25%  10/40 records\x1b[K", "\rpull [########################] 100%  40/40 records\x1b[K", "\n"]);
});

it("elsewhere prints plain lines at most every interval, and the last state on finish", () => {
  const { written, stream } = sink(false);
  const bar = new ProgressBar("pull", { stream, intervalMs: 60_000 });
  for (let done = 1; done <= 5; done++) bar.update({ done, unit: "records" });
  bar.finish();
  expect(written).toEqual(["pull 1 records\n", "pull 5 records\n"]);
});

it("writes nothing when disabled (--json)", () => {
  const { written, stream } = sink(true);
  const bar = new ProgressBar("pull", { stream, enabled: false });
  bar.update({ done: 1, unit: "records" });
  bar.finish();
  expect(written).toEqual([]);
});
