// The paginators of the REST source, in dlt's vocabulary: each turns the page just read into
// the URL of the next one, or undefined when the pull is done. The stop conditions every
// paginator shares (an empty page, a false has_more) are checked before its own.
import type { RestApiPaginator } from "../connectors/restApiSchema.js";
import { SourceError } from "./errors.js";
import { kindOf, pathOf, valueAt, type PathSegment } from "./restApiSelectors.js";

export interface ReadPage {
  url: URL;
  headers: Headers;
  body: unknown;
  records: unknown[];
}

export interface Paginator {
  /** The first request: the paginator's own parameters added. */
  first(url: URL): URL;
  /** The next request, or undefined when there is no next page. */
  next(page: ReadPage): URL | undefined;
}

const problem = (message: string) => new SourceError("query_error", message);

function withParam(url: URL, name: string, value: string | number): URL {
  const next = new URL(url);
  next.searchParams.set(name, String(value));
  return next;
}

/** A count the response must hold at `path` (total_path). */
function countAt(page: ReadPage, path: readonly PathSegment[], field: string, text: string): number {
  const value = valueAt(page.body, path);
  const count = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof count !== "number" || !Number.isFinite(count)) {
    throw problem(`paginator.${field} "${text}" found ${kindOf(value)} in the response to GET ${page.url.pathname}, not a number`);
  }
  return count;
}

/**
 * The target of the Link header entry (RFC 8288) whose rel includes `rel`, resolved against
 * the request's URL; undefined when there is none.
 */
export function linkTarget(header: string | null, rel: string, base: URL): URL | undefined {
  if (!header) return undefined;
  // <target>; param=value; param="quoted, value", <target>…
  const entry = /<([^>]*)>((?:\s*;\s*[^=;,\s]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*))?)*)/g;
  const param = /;\s*([^=;,\s]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,]*)))?/g;
  for (const [, target, params] of header.matchAll(entry)) {
    for (const [, name, quoted, plain] of (params ?? "").matchAll(param)) {
      if (name!.toLowerCase() !== "rel") continue;
      const rels = (quoted ?? plain ?? "").trim().toLowerCase().split(/\s+/);
      if (rels.includes(rel.toLowerCase())) return new URL(target!, base);
    }
  }
  return undefined;
}

function jsonLink(spec: Extract<RestApiPaginator, { type: "json_link" }>): Paginator {
  const path = pathOf(spec.next_url_path);
  return {
    first: (url) => url,
    next(page) {
      const value = valueAt(page.body, path);
      if (value === undefined || value === null || value === "") return undefined;
      if (typeof value !== "string") throw problem(`paginator.next_url_path "${spec.next_url_path}" found ${kindOf(value)}, not a URL`);
      return new URL(value, page.url);
    },
  };
}

function headerLink(spec: Extract<RestApiPaginator, { type: "header_link" }>): Paginator {
  return { first: (url) => url, next: (page) => linkTarget(page.headers.get("link"), spec.links_next_key, page.url) };
}

function cursor(spec: Extract<RestApiPaginator, { type: "cursor" }>): Paginator {
  const path = pathOf(spec.cursor_path);
  // `records[-1].id`: the cursor is a field of the page's last record (Stripe's starting_after).
  const fromLastRecord = path[0] === "records" && path[1] === -1;
  return {
    first: (url) => url,
    next(page) {
      let value: unknown;
      if (fromLastRecord) {
        if (page.records.length === 0) return undefined;
        value = valueAt(page.records[page.records.length - 1], path.slice(2));
        if (value === undefined) throw problem(`paginator.cursor_path "${spec.cursor_path}": the last record of the page has no such field`);
      } else {
        value = valueAt(page.body, path);
      }
      if (value === undefined || value === null || value === "") return undefined;
      if (typeof value === "object") throw problem(`paginator.cursor_path "${spec.cursor_path}" found ${kindOf(value)}, not a cursor value`);
      return withParam(page.url, spec.cursor_param, String(value));
    },
  };
}

function offset(spec: Extract<RestApiPaginator, { type: "offset" }>): Paginator {
  const total = spec.total_path === undefined ? undefined : pathOf(spec.total_path);
  let at = spec.offset;
  return {
    first: (url) => withParam(withParam(url, spec.offset_param, at), spec.limit_param, spec.limit),
    next(page) {
      const count = total && countAt(page, total, "total_path", spec.total_path!);
      at += spec.limit;
      if (count !== undefined && at >= count) return undefined;
      if (spec.maximum_offset !== undefined && at >= spec.maximum_offset) return undefined;
      return withParam(page.url, spec.offset_param, at);
    },
  };
}

function pageNumber(spec: Extract<RestApiPaginator, { type: "page_number" }>): Paginator {
  const total = spec.total_path === undefined ? undefined : pathOf(spec.total_path);
  let at = spec.page ?? spec.base_page;
  return {
    first: (url) => withParam(url, spec.page_param, at),
    next(page) {
      const pages = total && countAt(page, total, "total_path", spec.total_path!);
      at += 1;
      if (pages !== undefined && at >= spec.base_page + pages) return undefined;
      if (spec.maximum_page !== undefined && at > spec.maximum_page) return undefined;
      return withParam(page.url, spec.page_param, at);
    },
  };
}

/** The shared stops in front of a paginator: an empty page, has_more false. */
function withStops(spec: Exclude<RestApiPaginator, { type: "single_page" }>, inner: Paginator): Paginator {
  const hasMore = spec.has_more_path === undefined ? undefined : pathOf(spec.has_more_path);
  return {
    first: inner.first,
    next(page) {
      if (spec.stop_after_empty_page && page.records.length === 0) return undefined;
      if (hasMore) {
        const value = valueAt(page.body, hasMore);
        if (typeof value !== "boolean") {
          throw problem(`paginator.has_more_path "${spec.has_more_path}" found ${kindOf(value)} in the response to GET ${page.url.pathname}, not true or false`);
        }
        if (!value) return undefined;
      }
      return inner.next(page);
    },
  };
}

/** A fresh paginator for one read (offset and page_number count as they go). */
export function paginatorFor(spec: RestApiPaginator): Paginator {
  switch (spec.type) {
    case "single_page":
      return { first: (url) => url, next: () => undefined };
    case "json_link":
      return withStops(spec, jsonLink(spec));
    case "header_link":
      return withStops(spec, headerLink(spec));
    case "cursor":
      return withStops(spec, cursor(spec));
    case "offset":
      return withStops(spec, offset(spec));
    case "page_number":
      return withStops(spec, pageNumber(spec));
  }
}
