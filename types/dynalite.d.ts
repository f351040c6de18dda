// Ambient types for dynalite, which ships none. Kept out of lib/local/ because tsc ignores a
// .d.ts that shares its base name with a .ts file (lib/local/dynalite.ts).
declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
    ssl?: boolean;
    key?: string;
    cert?: string;
    ca?: string;
  }

  /** An http(s) server whose close() also closes the LevelDB store. */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
