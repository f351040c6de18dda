import { describe, expect, it } from "vitest";
import { SourceError } from "../../../lib/sources/errors.js";
import { bindLastPull, type PlaceholderStyle } from "../../../lib/sources/lastPull.js";

const QANATIX = "SELECT id, name, sku, price, stock FROM products WHERE updated_at > :last_pull";

// [what, style, sql, expected text, expected count]
const cases: [string, PlaceholderStyle, string, string, number][] = [
  // the QANATIX example, both dialects
  ["QANATIX example", "postgres", QANATIX, QANATIX.replace(":last_pull", "$1"), 1],
  ["QANATIX example", "mysql", QANATIX, QANATIX.replace(":last_pull", "?"), 1],
  // nothing to bind
  ["no placeholder", "postgres", "SELECT * FROM t", "SELECT * FROM t", 0],
  ["empty query", "mysql", "", "", 0],
  // multiple occurrences: numbered in order for postgres, each one `?` for mysql
  [
    "several occurrences",
    "postgres",
    "SELECT * FROM t WHERE a > :last_pull OR b > :last_pull OR c>:last_pull",
    "SELECT * FROM t WHERE a > $1 OR b > $2 OR c>$3",
    3,
  ],
  [
    "several occurrences",
    "mysql",
    "SELECT * FROM t WHERE a > :last_pull OR (b>:last_pull)",
    "SELECT * FROM t WHERE a > ? OR (b>?)",
    2,
  ],
  ["at the very start and end", "postgres", ":last_pull", "$1", 1],
  ["after an operator and before a paren", "mysql", "GREATEST(x,:last_pull)", "GREATEST(x,?)", 1],
  ["after a newline, before a semicolon", "postgres", "WHERE t >\n:last_pull;", "WHERE t >\n$1;", 1],
  // identifier boundaries on both sides
  ["longer name :last_pulled", "postgres", "WHERE a > :last_pulled", "WHERE a > :last_pulled", 0],
  ["longer name :last_pull_at", "mysql", "WHERE a > :last_pull_at", "WHERE a > :last_pull_at", 0],
  ["name continues with $", "postgres", "WHERE a > :last_pull$x", "WHERE a > :last_pull$x", 0],
  ["identifier char before: x:last_pull", "postgres", "SELECT x:last_pull", "SELECT x:last_pull", 0],
  ["digit before: arr[1:last_pull]", "postgres", "SELECT arr[1:last_pull]", "SELECT arr[1:last_pull]", 0],
  ["identifier char before", "mysql", "SELECT x:last_pull", "SELECT x:last_pull", 0],
  ["different name", "mysql", "WHERE a > :lastpull", "WHERE a > :lastpull", 0],
  // postgres casts
  ["cast ::last_pull", "postgres", "SELECT a::last_pull FROM t", "SELECT a::last_pull FROM t", 0],
  ["placeholder then cast", "postgres", "WHERE t > :last_pull::timestamptz", "WHERE t > $1::timestamptz", 1],
  ["cast operator then placeholder (:::)", "postgres", "SELECT 1 :::last_pull", "SELECT 1 ::$1", 1],
  // single-quoted strings
  ["single-quoted string", "postgres", "SELECT ':last_pull' WHERE a > :last_pull", "SELECT ':last_pull' WHERE a > $1", 1],
  ["single-quoted string with '' escape", "postgres", "SELECT 'it''s :last_pull', :last_pull", "SELECT 'it''s :last_pull', $1", 1],
  ["postgres '' strings take no backslash escape", "postgres", "SELECT 'a\\', :last_pull", "SELECT 'a\\', $1", 1],
  ["single-quoted string", "mysql", "SELECT ':last_pull' FROM t WHERE a > :last_pull", "SELECT ':last_pull' FROM t WHERE a > ?", 1],
  ["mysql backslash escape in ''", "mysql", "SELECT 'a\\' :last_pull' , :last_pull", "SELECT 'a\\' :last_pull' , ?", 1],
  ["mysql '' escape", "mysql", "SELECT 'it''s :last_pull', :last_pull", "SELECT 'it''s :last_pull', ?", 1],
  ["prefixed literal N'…'", "mysql", "SELECT N':last_pull', _utf8mb4':last_pull'", "SELECT N':last_pull', _utf8mb4':last_pull'", 0],
  // postgres E'…' strings
  ["E'…' with backslash escape", "postgres", "SELECT E'a\\' :last_pull', :last_pull", "SELECT E'a\\' :last_pull', $1", 1],
  ["lowercase e'…'", "postgres", "SELECT e'\\' :last_pull', :last_pull", "SELECT e'\\' :last_pull', $1", 1],
  ["E'…' with '' and backslash escapes", "postgres", "SELECT E'a'' \\' :last_pull', :last_pull", "SELECT E'a'' \\' :last_pull', $1", 1],
  ["E after a word is not E'…'", "postgres", "SELECT 1 ELSE'\\', :last_pull", "SELECT 1 ELSE'\\', $1", 1],
  // dollar quotes
  ["$$…$$", "postgres", "SELECT $$ :last_pull $$, :last_pull", "SELECT $$ :last_pull $$, $1", 1],
  ["$tag$…$tag$ holding $$", "postgres", "SELECT $fn$ $$ :last_pull $$ :last_pull $fn$ > :last_pull", "SELECT $fn$ $$ :last_pull $$ :last_pull $fn$ > $1", 1],
  ["$tag$ closed only by the same tag", "postgres", "SELECT $q$ costs $5 :last_pull $q$, :last_pull", "SELECT $q$ costs $5 :last_pull $q$, $1", 1],
  ["$ inside an identifier is not a quote", "postgres", "SELECT a$b$ > :last_pull", "SELECT a$b$ > $1", 1],
  // quoted identifiers
  ["double-quoted identifier", "postgres", 'SELECT ":last_pull", "a"":last_pull" FROM t', 'SELECT ":last_pull", "a"":last_pull" FROM t', 0],
  ["double-quoted string", "mysql", 'SELECT ":last_pull", "a\\":last_pull" FROM t', 'SELECT ":last_pull", "a\\":last_pull" FROM t', 0],
  ["backtick identifier", "mysql", "SELECT `:last_pull`, `a``:last_pull` FROM t", "SELECT `:last_pull`, `a``:last_pull` FROM t", 0],
  ["backtick is no quote in postgres", "postgres", "SELECT `:last_pull`", "SELECT `$1`", 1],
  // line comments
  ["-- comment", "postgres", "SELECT 1 -- :last_pull\nWHERE a > :last_pull", "SELECT 1 -- :last_pull\nWHERE a > $1", 1],
  ["--comment without a space (postgres)", "postgres", "SELECT 1 --:last_pull\n, :last_pull", "SELECT 1 --:last_pull\n, $1", 1],
  ["-- comment", "mysql", "SELECT 1 -- :last_pull\r\nWHERE a > :last_pull", "SELECT 1 -- :last_pull\r\nWHERE a > ?", 1],
  ["-- comment ended by a bare \\r", "postgres", "SELECT 1 -- c\r:last_pull", "SELECT 1 -- c\r$1", 1],
  ["-- then a tab (mysql)", "mysql", "SELECT 1 --\t:last_pull", "SELECT 1 --\t:last_pull", 0],
  ["--x is no comment in mysql", "mysql", "SELECT 1 --:last_pull", "SELECT 1 --?", 1],
  ["# comment", "mysql", "SELECT 1 # :last_pull\nWHERE a > :last_pull", "SELECT 1 # :last_pull\nWHERE a > ?", 1],
  ["? is the jsonb operator in postgres", "postgres", "SELECT data ? 'k' FROM t WHERE t > :last_pull", "SELECT data ? 'k' FROM t WHERE t > $1", 1],
  ["# is no comment in postgres", "postgres", "SELECT a # :last_pull", "SELECT a # $1", 1],
  // block comments
  ["/* */ comment", "postgres", "SELECT /* :last_pull */ :last_pull", "SELECT /* :last_pull */ $1", 1],
  ["nested /* */ (postgres)", "postgres", "SELECT /* a /* b */ :last_pull */ :last_pull", "SELECT /* a /* b */ :last_pull */ $1", 1],
  ["/* */ comment", "mysql", "SELECT /* :last_pull */ :last_pull", "SELECT /* :last_pull */ ?", 1],
  ["/* */ does not nest in mysql", "mysql", "SELECT /* a /* b */ :last_pull */", "SELECT /* a /* b */ ? */", 1],
  ["/*! executable comment is code (mysql)", "mysql", "SELECT 1 /*!50000 WHERE a > :last_pull */", "SELECT 1 /*!50000 WHERE a > ? */", 1],
  ["/*M! MariaDB executable comment is code", "mysql", "SELECT 1 /*M!100100 AND a > :last_pull */", "SELECT 1 /*M!100100 AND a > ? */", 1],
  // unterminated literals and comments: the rest is literal
  ["unterminated '…'", "postgres", "SELECT :last_pull, 'abc :last_pull", "SELECT $1, 'abc :last_pull", 1],
  ["unterminated '…'", "mysql", "SELECT :last_pull, 'abc\\' :last_pull", "SELECT ?, 'abc\\' :last_pull", 1],
  ["unterminated $$…", "postgres", "SELECT $$ :last_pull", "SELECT $$ :last_pull", 0],
  ['unterminated "…"', "postgres", 'SELECT ":last_pull', 'SELECT ":last_pull', 0],
  ["unterminated `…`", "mysql", "SELECT `:last_pull", "SELECT `:last_pull", 0],
  ["unterminated /* */", "postgres", "SELECT /* /* */ :last_pull", "SELECT /* /* */ :last_pull", 0],
  ["unterminated E'…'", "postgres", "SELECT E'\\' :last_pull", "SELECT E'\\' :last_pull", 0],
];

describe("bindLastPull", () => {
  it.each(cases)("%s (%s)", (_what, style, sql, text, count) => {
    expect(bindLastPull(sql, style)).toEqual({ text, count });
  });

  it.each<[PlaceholderStyle, string]>([
    ["postgres", "SELECT * FROM t WHERE a = $1 AND b > :last_pull"],
    ["postgres", "SELECT * FROM t WHERE a = ($2)"],
    ["mysql", "SELECT * FROM t WHERE a = ? AND b > :last_pull"],
  ])("rejects positional parameters outside literals (%s: %s)", (style, sql) => {
    expect(() => bindLastPull(sql, style)).toThrow(/positional parameters are not supported/);
    expect(() => bindLastPull(sql, style)).toThrow(SourceError);
  });

  it.each<[PlaceholderStyle, string]>([
    ["postgres", "SELECT '$1', \"$1\", $$ $1 $$, E'$1', x$1 /* $1 */ -- $1"],
    ["mysql", "SELECT '?', \"?\", `?` /* ? */ # ?\n-- ?"],
  ])("allows positional markers inside literals, identifiers and comments (%s)", (style, sql) => {
    expect(bindLastPull(sql, style)).toEqual({ text: sql, count: 0 });
  });
});
