#!/usr/bin/env node
// The `sluice` command: registers tsx (resolved from this package) and runs the TypeScript CLI.
import { register } from "tsx/esm/api";

register();
await import("../lib/cli/main.ts");
