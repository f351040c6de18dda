// Benchmark workers run as one esbuild bundle on plain node: loading TypeScript through tsx
// would add its compiler to every measured process's memory. The bundle goes inside
// node_modules/.cache so its bare imports resolve to this project's packages.
import path from "node:path";
import { build } from "esbuild";

const root = path.join(import.meta.dirname, "..");

/** Bundles bench/<entry>.ts; returns the bundle's path (the caller removes it). */
export async function bundleWorker(entry: string): Promise<string> {
  const outfile = path.join(root, "node_modules", ".cache", "sluice-bench", `${entry}-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(root, "bench", `${entry}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    absWorkingDir: root,
    logLevel: "warning",
  });
  return outfile;
}
