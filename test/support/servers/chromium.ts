// Debian's chromium for the browser tests, driven by playwright-core (which downloads no browser
// of its own): installed with apt-get when missing, launched headless over a pipe (no port).
import { chromium, type Browser } from "playwright-core";
import { ensureCommand, isRoot } from "./net.js";

const MISSING = "the browser tests drive Debian's chromium (apt-get install -y chromium)";

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureCommand("chromium", ["chromium"], MISSING);
  // Chromium's sandbox refuses to run as root; the pages it opens are our own service's.
  return chromium.launch({ executablePath, headless: true, args: isRoot() ? ["--no-sandbox"] : [] });
}
