// Bundle sizes of each Lambda in a synthesised cloud assembly: the entry file (what a cold start
// loads) and the whole asset with its lazily loaded chunks. `npm run synth` prints them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface BundleSize {
  /** The function's construct id (ConnectorsFunction, …). */
  name: string;
  /** index.mjs: loaded at cold start. */
  entryBytes: number;
  /** Every file of the asset. */
  totalBytes: number;
  chunks: string[];
  assetDir: string;
}

interface TemplateResource {
  Type: string;
  Metadata?: Record<string, unknown>;
}

export function bundleSizes(assemblyDir: string, stackId: string): BundleSize[] {
  const template = JSON.parse(readFileSync(path.join(assemblyDir, `${stackId}.template.json`), "utf8")) as { Resources: Record<string, TemplateResource> };
  const sizes: BundleSize[] = [];
  for (const resource of Object.values(template.Resources)) {
    const asset = resource.Metadata?.["aws:asset:path"];
    const constructPath = resource.Metadata?.["aws:cdk:path"];
    if (resource.Type !== "AWS::Lambda::Function" || typeof asset !== "string" || typeof constructPath !== "string") continue;
    const assetDir = path.join(assemblyDir, asset);
    const files = walk(assetDir);
    sizes.push({
      name: constructPath.split("/").at(-2) ?? constructPath,
      entryBytes: statSync(path.join(assetDir, "index.mjs")).size,
      totalBytes: files.reduce((sum, file) => sum + statSync(file).size, 0),
      chunks: files.filter((file) => file.includes(`${path.sep}chunks${path.sep}`)).map((file) => path.basename(file)),
      assetDir,
    });
  }
  return sizes.sort((a, b) => a.name.localeCompare(b.name));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`.padStart(9);

if (import.meta.url === `file://${process.argv[1]}`) {
  const assemblyDir = process.argv[2] ?? "cdk.out";
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, "manifest.json"), "utf8")) as { artifacts: Record<string, { type: string }> };
  for (const [stackId, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== "aws:cloudformation:stack") continue;
    console.log(`${stackId}: Lambda bundles (minified; entry = loaded at cold start, chunks load on first use)`);
    for (const size of bundleSizes(assemblyDir, stackId)) {
      console.log(`  ${size.name.padEnd(22)} entry ${kb(size.entryBytes)}   with chunks ${kb(size.totalBytes)}   ${size.chunks.length} chunks`);
    }
  }
}
