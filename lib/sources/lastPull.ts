// Binds the `:last_pull` watermark in SQL sources: a small lexer finds the placeholders that are
// real tokens (not inside a literal, quoted identifier or comment) so the watermark is always a
// bound parameter, never text spliced into the query.

import { SourceError } from "./errors.js";

export type PlaceholderStyle = "postgres" | "mysql";

const PLACEHOLDER = ":last_pull";

// Character codes the lexer branches on.
const QUOTE = 0x27; // '
const DQUOTE = 0x22; // "
const BACKTICK = 0x60; // `
const BACKSLASH = 0x5c;
const DOLLAR = 0x24;
const COLON = 0x3a;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const HASH = 0x23;
const BANG = 0x21;
const QUESTION = 0x3f;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Letters, `_` and any non-ASCII character: what may start an identifier (or, with digits, a keyword or number run). */
function isWordStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

/** Both dialects allow digits and `$` after the first character of an unquoted identifier. */
function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c) || c === DOLLAR;
}

/** Index just past a quoted run opened at `start`; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, start: number, quote: number, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === BACKSLASH) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return sql.length; // unterminated: the rest is literal
}

function skipLineComment(sql: string, start: number): number {
  let i = start;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return i;
    i += 1;
  }
  return sql.length;
}

/** Index just past a block comment opened at `start`; PostgreSQL comments nest, MySQL's do not. */
function skipBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 1;
  let i = start + 2;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === STAR && sql.charCodeAt(i + 1) === SLASH) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else if (nested && c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      depth += 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** The `$tag$` opening a PostgreSQL dollar-quoted string at `start`, or undefined if there is none. */
function dollarTag(sql: string, start: number): string | undefined {
  let i = start + 1;
  if (sql.charCodeAt(i) === DOLLAR) return "$$";
  if (!isWordStart(sql.charCodeAt(i))) return undefined;
  i += 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === DOLLAR) return sql.slice(start, i + 1);
    if (!isWordStart(c) && !isDigit(c)) return undefined;
    i += 1;
  }
  return undefined;
}

function positionalError(found: string): SourceError {
  return new SourceError(
    "query_error",
    `positional parameters are not supported (found ${found}): use the named placeholder ${PLACEHOLDER}`,
  );
}

/**
 * Replaces every `:last_pull` that is a real placeholder with `$1`/`$2`… (postgres, numbered from 1
 * in order) or `?` (mysql); returns the new text and how many occurrences were replaced (each needs
 * the watermark bound once). Throws a `query_error` SourceError when the query already holds
 * positional parameters (`$1` for postgres, `?` for mysql) outside literals and comments: only
 * `:last_pull` can be bound.
 */
export function bindLastPull(sql: string, style: PlaceholderStyle): { text: string; count: number } {
  const postgres = style === "postgres";
  let text = "";
  let copiedUpTo = 0;
  let count = 0;
  // True right after an unquoted word, so `x:last_pull` is not taken for a placeholder.
  let afterWord = false;
  let i = 0;

  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);

    if (isWordStart(c) || isDigit(c)) {
      if (postgres && (c === 0x45 || c === 0x65) && next === QUOTE) {
        i = skipQuoted(sql, i + 1, QUOTE, true); // E'…' takes backslash escapes
        afterWord = false;
        continue;
      }
      i += 1;
      while (i < sql.length && isWordPart(sql.charCodeAt(i))) i += 1;
      afterWord = true;
      continue;
    }

    let end = i + 1;
    if (c === QUOTE) {
      end = skipQuoted(sql, i, QUOTE, !postgres);
    } else if (c === DQUOTE) {
      end = skipQuoted(sql, i, DQUOTE, !postgres); // postgres: identifier; mysql: string
    } else if (c === BACKTICK && !postgres) {
      end = skipQuoted(sql, i, BACKTICK, false);
    } else if (c === DASH && next === DASH) {
      // MySQL needs whitespace or a control character after `--` for a comment.
      const after = sql.charCodeAt(i + 2);
      if (postgres || Number.isNaN(after) || after <= 0x20) end = skipLineComment(sql, i);
    } else if (c === HASH && !postgres) {
      end = skipLineComment(sql, i);
    } else if (c === SLASH && next === STAR) {
      if (postgres) {
        end = skipBlockComment(sql, i, true);
      } else if (sql.charCodeAt(i + 2) === BANG) {
        end = i + 3; // `/*!…*/` is executed by MySQL: its body is lexed as code
      } else if (sql.startsWith("M!", i + 2)) {
        end = i + 4; // MariaDB's `/*M!…*/`, likewise
      } else {
        end = skipBlockComment(sql, i, false);
      }
    } else if (c === DOLLAR && postgres) {
      if (isDigit(next)) throw positionalError(sql.slice(i, i + 2));
      const tag = dollarTag(sql, i);
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        end = close === -1 ? sql.length : close + tag.length;
      }
    } else if (c === QUESTION && !postgres) {
      throw positionalError("?");
    } else if (c === COLON) {
      if (next === COLON) {
        end = i + 2; // `::` is a PostgreSQL cast, never the start of a placeholder
      } else if (
        !afterWord &&
        sql.startsWith(PLACEHOLDER, i) &&
        !isWordPart(sql.charCodeAt(i + PLACEHOLDER.length))
      ) {
        count += 1;
        text += sql.slice(copiedUpTo, i) + (postgres ? `$${count}` : "?");
        end = i + PLACEHOLDER.length;
        copiedUpTo = end;
      }
    }
    i = end;
    afterWord = false;
  }

  return { text: count === 0 ? sql : text + sql.slice(copiedUpTo), count };
}
