// The running local service publishes its dynalite endpoint in the data dir, so the operator
// CLI can talk to the same store while the service holds the LevelDB lock.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const FILE = "store.json";

export async function publishStoreEndpoint(dataDir: string, endpoint: string): Promise<void> {
  await writeFile(path.join(dataDir, FILE), JSON.stringify({ endpoint, pid: process.pid }) + "\n", { mode: 0o600 });
}

export async function withdrawStoreEndpoint(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, FILE), { force: true });
}

/** The endpoint of a live local service on this data dir, if one runs. */
export async function runningStoreEndpoint(dataDir: string): Promise<string | undefined> {
  let published: { endpoint?: unknown; pid?: unknown };
  try {
    published = JSON.parse(await readFile(path.join(dataDir, FILE), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof published.endpoint !== "string" || typeof published.pid !== "number") return undefined;
  try {
    process.kill(published.pid, 0);
  } catch {
    return undefined; // stale file from a process that died
  }
  return published.endpoint;
}
