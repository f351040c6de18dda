// Matches what a sync or import found with what the catalog holds for that connector and origin:
// new entries are created, entries found again get last_seen_at (and count as updated when
// their definition changed or they come back), entries not found are marked removed, never
// deleted.
import { createHash } from "node:crypto";
import { entryId } from "./entryRepository.js";
import type { CatalogItem, EntryDraft } from "./types.js";

export interface Reconciled {
  writes: CatalogItem[];
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
}

// DynamoDB items stop at 400 KB: very long dbt descriptions and very wide tables are cut, and
// then the lists (columns, depends_on, tags) are kept only as far as the entry stays in budget.
const MAX_DESCRIPTION = 8_000;
const MAX_COLUMN_DESCRIPTION = 1_000;
const MAX_COLUMNS = 1_000;
/** The entry's definition; the stored item adds its keys, ids and timestamps (well under 10 KB). */
const ENTRY_BUDGET_BYTES = 300_000;

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** The first `max` characters, without half of a surrogate pair at the end (stored as U+FFFD). */
export function cutText(value: string, max: number): string {
  const cut = value.slice(0, max);
  return cut.length < value.length && /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The longest prefix of `items` whose JSON fits in `budget` bytes, and the bytes it takes. */
function fit<T>(items: T[], budget: number): [T[], number] {
  let used = 0;
  let count = 0;
  for (const item of items) {
    const size = bytesOf(item) + 1;
    if (used + size > budget) break;
    used += size;
    count++;
  }
  return [count === items.length ? items : items.slice(0, count), used];
}

function bounded(draft: EntryDraft): EntryDraft {
  const cut: EntryDraft = {
    ...draft,
    ...(draft.description !== undefined ? { description: cutText(draft.description, MAX_DESCRIPTION) } : {}),
    columns: draft.columns
      .slice(0, MAX_COLUMNS)
      .map((c) => (c.description !== undefined ? { ...c, description: cutText(c.description, MAX_COLUMN_DESCRIPTION) } : c)),
  };
  if (bytesOf(cut) <= ENTRY_BUDGET_BYTES) return cut;
  const { columns, depends_on: dependsOn, tags } = cut;
  let left = ENTRY_BUDGET_BYTES - bytesOf({ ...cut, columns: [], tags: [], ...(dependsOn ? { depends_on: { nodes: [], macros: [] } } : {}) });
  const [keptColumns, columnBytes] = fit(columns, left);
  left -= columnBytes;
  const [keptNodes, nodeBytes] = fit(dependsOn?.nodes ?? [], left);
  left -= nodeBytes;
  const [keptMacros, macroBytes] = fit(dependsOn?.macros ?? [], left);
  left -= macroBytes;
  return {
    ...cut,
    columns: keptColumns,
    ...(tags ? { tags: fit(tags, left)[0] } : {}),
    ...(dependsOn ? { depends_on: { nodes: keptNodes, macros: keptMacros } } : {}),
  };
}

function fingerprint(draft: EntryDraft): string {
  const { key: _key, ...definition } = draft;
  return createHash("sha256").update(JSON.stringify(definition)).digest("hex");
}

export function reconcile(
  scope: { tenant: string; connectorId: string },
  existing: CatalogItem[],
  found: EntryDraft[],
  now: string,
): Reconciled {
  const byId = new Map(existing.map((item) => [item.entry_id, item]));
  const result: Reconciled = { writes: [], created: 0, updated: 0, unchanged: 0, removed: 0 };
  const seen = new Set<string>();
  for (const raw of found) {
    const draft = bounded(raw);
    const id = entryId(scope.connectorId, draft.origin, draft.key);
    if (seen.has(id)) continue; // a source listing one relation twice
    seen.add(id);
    const { key: _key, ...definition } = draft;
    const print = fingerprint(draft);
    const before = byId.get(id);
    if (!before) result.created++;
    else if (before.removed || before.fingerprint !== print) result.updated++;
    else result.unchanged++;
    result.writes.push({
      ...definition,
      entry_id: id,
      tenant: scope.tenant,
      connector_id: scope.connectorId,
      qualified_name: [draft.database, draft.schema, draft.name].filter(Boolean).join("."),
      removed: false,
      removed_at: null,
      first_seen_at: before?.first_seen_at ?? now,
      last_seen_at: now,
      updated_at: before && before.fingerprint === print && !before.removed ? before.updated_at : now,
      fingerprint: print,
    });
  }
  for (const item of existing) {
    if (seen.has(item.entry_id) || item.removed) continue;
    result.removed++;
    result.writes.push({ ...item, removed: true, removed_at: now, updated_at: now });
  }
  return result;
}
