// Benchmark workers run as one esbuild bundle on plain node: loading TypeScript through tsx
// would add its compiler to every measured process's memory. The bundle goes inside
// node_modules/.cache so its bare imports resolve to this project's packages.
import path from "node:path";
import { build } from "esbuild";

const root = path.join(import.meta.dirname, "..");

/**
 * Bundles bench/<entry>.ts; returns the bundle's path (the caller removes it). With `split`, what
 * the entry imports with import() goes into chunks of its own, loaded only when a mode asks for
 * it; the bundle is then in a directory of its own, which the caller removes.
 */
export async function bundleWorker(entry: string, options: { split?: boolean } = {}): Promise<string> {
  const name = `${entry}-${process.pid}`;
  const dir = path.join(root, "node_modules", ".cache", "sluice-bench");
  const output = options.split ? { outdir: path.join(dir, name), splitting: true, entryNames: entry, outExtension: { ".js": ".mjs" } } : { outfile: path.join(dir, `${name}.mjs`) };
  await build({
    entryPoints: [path.join(root, "bench", `${entry}.ts`)],
    ...output,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    absWorkingDir: root,
    logLevel: "warning",
  });
  return options.split ? path.join(dir, name, `${entry}.mjs`) : output.outfile!;
}
