// The local runtime's master key ring: CONNECTOR_ENCRYPTION_KEY when set, otherwise a key
// generated once into the data dir (mode 0600). Only the local runtime may do the latter.
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Fernet } from "../crypto/fernet.js";
import type { Config } from "../runtime/config.js";
import type { Logger } from "../runtime/logger.js";

export const MASTER_KEY_FILE = "master.key";

export async function localMasterKeys(config: Config, logger: Logger): Promise<string> {
  if (config.encryptionKeys) return config.encryptionKeys;
  const file = path.join(config.dataDir, MASTER_KEY_FILE);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if ((await stat(file)).mode & 0o077) await chmod(file, 0o600);
    return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = Fernet.generateKey();
  // `wx`: if another process created it first, fail rather than overwrite its key.
  await writeFile(file, key + "\n", { mode: 0o600, flag: "wx" });
  logger.warn("CONNECTOR_ENCRYPTION_KEY is not set: generated a master key for local use", {
    file,
    advice: "back this file up; without it stored credentials cannot be decrypted. Set CONNECTOR_ENCRYPTION_KEY outside local use.",
  });
  return key;
}
