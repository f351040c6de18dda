// Lists answer `{items, next_cursor}`: these walk every page, asking for the next one only when
// the caller has consumed the last.
import type { Page } from "./types.js";

/** Every page, from the first (or `cursor`) until `next_cursor` is null. */
export async function* everyPage<P extends Page<unknown>>(fetchPage: (cursor: string | undefined) => Promise<P>, cursor?: string): AsyncGenerator<P> {
  do {
    const page = await fetchPage(cursor);
    yield page;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/** Every item of every page. */
export async function* everyItem<P extends Page<unknown>>(fetchPage: (cursor: string | undefined) => Promise<P>, cursor?: string): AsyncGenerator<P["items"][number]> {
  for await (const page of everyPage(fetchPage, cursor)) yield* page.items as Array<P["items"][number]>;
}
