// Links dbt entries to the discovered tables and views they build or read: same schema and
// relation name (case-insensitive, as warehouses fold unquoted names), and same database where
// the discovered entry has one (MySQL has no level above the schema).
import type { CatalogItem, EntryDraft } from "../types.js";

const fold = (value: string | undefined) => (value ?? "").toLowerCase();

export function linkToDiscovered(drafts: EntryDraft[], discovered: CatalogItem[]): { drafts: EntryDraft[]; linked: number } {
  const byRelation = new Map<string, CatalogItem[]>();
  for (const item of discovered) {
    const key = `${fold(item.schema)}.${fold(item.name)}`;
    byRelation.set(key, [...(byRelation.get(key) ?? []), item]);
  }
  let linked = 0;
  const result = drafts.map((draft) => {
    const relation = draft.dbt?.relation;
    if (!relation || draft.dbt?.materialized === "ephemeral") return draft;
    const candidates = byRelation.get(`${fold(draft.schema)}.${fold(relation)}`) ?? [];
    // Oldest first: with two connectors on one warehouse, the link does not flip between imports.
    const match = candidates
      .filter((c) => c.database === undefined || fold(c.database) === fold(draft.database))
      .sort((a, b) => a.first_seen_at.localeCompare(b.first_seen_at) || a.entry_id.localeCompare(b.entry_id))[0];
    if (!match) return draft;
    linked++;
    return { ...draft, linked_entry_id: match.entry_id };
  });
  return { drafts: result, linked };
}
