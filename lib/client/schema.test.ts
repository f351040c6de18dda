// The SDK's generated types must be those of the current OpenAPI document: rendered again here,
// they must equal the committed schema.d.ts (run `npm run sdk:types` when this fails).
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { renderSchemaTypes, SCHEMA_FILE } from "./generateTypes.js";

it("lib/client/schema.d.ts is up to date with the OpenAPI document (npm run sdk:types)", async () => {
  const committed = (await readFile(SCHEMA_FILE, "utf8")).split("\n");
  const rendered = (await renderSchemaTypes()).split("\n");
  const first = rendered.findIndex((line, i) => line !== committed[i]);
  const at = first === -1 ? (rendered.length === committed.length ? -1 : Math.min(rendered.length, committed.length)) : first;
  expect(at === -1 ? "up to date" : `stale from line ${at + 1}: ${JSON.stringify(rendered[at])} (run npm run sdk:types)`).toBe("up to date");
});
