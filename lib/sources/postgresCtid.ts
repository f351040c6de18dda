// PostgreSQL's ctid order: a plain read of one table, when id_column is no usable key, is split
// into ranges of heap blocks and read in ctid order, so its partitions run at once and a resume
// starts after the last stored row instead of at the beginning.
import type pg from "pg";
import type { KeyOrder, KeyPosition, KeyRange, Row } from "./contract.js";
import { SourceError } from "./errors.js";
import { evenBoundaries, rangesBetween } from "./keyOrder.js";

/** The ctid is selected under this name (never a field of the record: `strip` moves it aside). */
export const CTID_ALIAS = "sluice_ctid";

/** Where a plain read of one table can take the ctid: offsets into the query's text. */
export interface PlainRead {
  /** The table as the query names it (`public."Orders"`), for to_regclass. */
  table: string;
  /** Where FROM starts: the ctid column goes in front of it. */
  fromAt: number;
  /** Where the table (and its alias) ends: the WHERE condition follows. */
  sourceEnd: number;
  /** The WHERE condition, without trailing comments. */
  condition?: string;
}

interface Token {
  kind: "word" | "ident" | "string" | "param" | "number" | "punct";
  /** Lower case for a word. */
  text: string;
  start: number;
  end: number;
}

// One regex alternative per token kind (sticky, tried at each position). A dollar-quoted body,
// a nested block comment and U&"…" escapes are handled (or refused) by hand below.
const LEXEME =
  /(\s+|--[^\n\r]*)|([eE]'(?:[^'\\]|\\[\s\S]|'')*')|('(?:[^']|'')*')|("(?:[^"]|"")*")|(\$\d+)|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)|((?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|([^\s])/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/** The query's tokens without whitespace and comments; undefined for anything unterminated or unusual. */
function tokenize(sql: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    if (sql.startsWith("/*", i)) {
      const end = blockCommentEnd(sql, i);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    if (/^[uU]&['"]/.test(sql.slice(i, i + 3))) return undefined;
    DOLLAR_TAG.lastIndex = i;
    const tag = DOLLAR_TAG.exec(sql);
    if (tag) {
      const close = sql.indexOf(tag[0], i + tag[0].length);
      if (close < 0) return undefined;
      tokens.push({ kind: "string", text: sql.slice(i, close + tag[0].length), start: i, end: close + tag[0].length });
      i = close + tag[0].length;
      continue;
    }
    LEXEME.lastIndex = i;
    const m = LEXEME.exec(sql)!; // the last alternative matches any character
    const end = i + m[0].length;
    // An unterminated literal or identifier falls through to the one-character alternative.
    if (m[8] !== undefined && "'\"".includes(m[8])) return undefined;
    if (m[1] === undefined) {
      const kind = m[2] || m[3] ? "string" : m[4] ? "ident" : m[5] ? "param" : m[6] ? "word" : m[7] ? "number" : "punct";
      tokens.push({ kind, text: kind === "word" ? m[0].toLowerCase() : m[0], start: i, end });
    }
    i = end;
  }
  return tokens;
}

function blockCommentEnd(sql: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start; i < sql.length - 1; i++) {
    if (sql.startsWith("/*", i)) {
      depth++;
      i++;
    } else if (sql.startsWith("*/", i)) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

// Words that make the query more than a filtered read of one table's rows, one row per row:
// anywhere (subqueries, CTEs, window functions), or at the top level (clauses, joins, set operations).
const FORBIDDEN_ANYWHERE = new Set(["select", "values", "table", "with", "over", "lateral", "recursive"]);
const FORBIDDEN_AT_TOP = new Set([
  "from", "join", "natural", "cross", "inner", "left", "right", "full", "using", "group", "having", "order", "limit",
  "offset", "fetch", "for", "window", "union", "intersect", "except", "into", "distinct", "only", "tablesample",
]);
const NOT_A_NAME = new Set(["where", "as", "on", ...FORBIDDEN_ANYWHERE, ...FORBIDDEN_AT_TOP]);

/**
 * `SELECT <columns> FROM [schema.]table [[AS] alias] [WHERE <condition>]` and nothing more, or
 * undefined: a conservative reading, where anything unexpected means no ctid order.
 */
export function plainRead(sql: string): PlainRead | undefined {
  const tokens = tokenize(sql);
  if (!tokens || tokens[0]?.kind !== "word" || tokens[0].text !== "select") return undefined;
  let depth = 0;
  let from: number | undefined;
  for (let i = 1; i < tokens.length; i++) {
    const { kind, text } = tokens[i]!;
    if (kind === "punct" && text === "(") depth++;
    else if (kind === "punct" && text === ")" && --depth < 0) return undefined;
    else if (kind === "punct" && text === ";") return undefined;
    else if (kind === "word" && FORBIDDEN_ANYWHERE.has(text)) return undefined;
    else if (kind === "word" && depth === 0 && text === "from" && from === undefined) from = i;
    else if (kind === "word" && depth === 0 && FORBIDDEN_AT_TOP.has(text)) return undefined;
  }
  if (depth !== 0 || from === undefined || from < 2) return undefined;
  const isName = (t: Token | undefined) => t !== undefined && (t.kind === "ident" || (t.kind === "word" && !NOT_A_NAME.has(t.text)));
  const isPunct = (t: Token | undefined, text: string) => t?.kind === "punct" && t.text === text;
  let i = from + 1;
  if (!isName(tokens[i])) return undefined;
  const tableStart = tokens[i]!.start;
  if (isPunct(tokens[i + 1], ".")) {
    if (!isName(tokens[i + 2])) return undefined;
    i += 2;
  }
  const table = sql.slice(tableStart, tokens[i]!.end);
  i++;
  if (tokens[i]?.kind === "word" && tokens[i]!.text === "as") i++;
  if (isName(tokens[i])) i++;
  else if (tokens[i - 1]!.text === "as") return undefined;
  const sourceEnd = tokens[i - 1]!.end;
  if (i === tokens.length) return { table, fromAt: tokens[from]!.start, sourceEnd };
  // Past the table only a WHERE may follow (a comma would be a second table, a parenthesis a function).
  if (tokens[i]!.kind !== "word" || tokens[i]!.text !== "where" || i + 1 === tokens.length) return undefined;
  return { table, fromAt: tokens[from]!.start, sourceEnd, condition: sql.slice(tokens[i + 1]!.start, tokens.at(-1)!.end) };
}

type RunQuery = (text: string, values: unknown[]) => Promise<pg.QueryResult>;

/** One statement of a ctid-ordered read: one chunk of blocks of the range, with its own parameters. */
export interface CtidStatement {
  text: string;
  values: unknown[];
}

interface PlanNode {
  "Node Type"?: string;
  "Plan Rows"?: unknown;
  "Parent Relationship"?: string;
  Plans?: PlanNode[];
}

/** The planner's plan of a query, from EXPLAIN (FORMAT JSON). */
export async function queryPlan(run: RunQuery, text: string, values: unknown[]): Promise<PlanNode | undefined> {
  const { rows } = await run(`EXPLAIN (FORMAT JSON) ${text}`, values);
  return (rows[0]?.["QUERY PLAN"] as { Plan?: PlanNode }[] | undefined)?.[0]?.Plan;
}

// The plan nodes of a query that returns each row of the table at most once, as it is: scans and
// what may sit above one. An aggregate, a window, a set-returning function (ProjectSet), an
// inheritance child (Append) or a subplan would make a row's ctid no position of the result.
const ROW_FOR_ROW = new Set(["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "BitmapAnd", "BitmapOr", "Tid Scan", "Tid Range Scan", "Gather", "Result"]);
const rowForRow = (node: PlanNode): boolean =>
  ROW_FOR_ROW.has(node["Node Type"] ?? "") && !/InitPlan|SubPlan/.test(node["Parent Relationship"] ?? "") && (node.Plans ?? []).every(rowForRow);

// TID Range Scans came with PostgreSQL 14: before, every range would read the whole table. Redshift says 8.0.
const FIRST_MAJOR = 14;
// A chunk holds about this many batches: its ORDER BY sorts that much, never a whole partition.
const CHUNK_BATCHES = 16;
// Without statistics (a table never analyzed), chunks of 32 MB of heap at the default block size.
const DEFAULT_CHUNK_BLOCKS = 4096;

const CTID = /^\((\d+),(\d+)\)$/;
const POSITION = Symbol("ctid");
type PositionedRow = Row & { [POSITION]?: string };

/** A ctid position ("(12,5)"), checked: it is bound as a tid. */
function ctidText(position: KeyPosition): string {
  if (typeof position === "string" && CTID.test(position)) return position;
  throw new SourceError("query_error", `key position ${JSON.stringify(position)} is not a ctid`);
}
const blockOf = (position: KeyPosition) => Number(CTID.exec(ctidText(position))![1]);
/** Offset 0 is no row: `ctid <= (b,0)` ends before block b, `ctid > (b,0)` starts at it. */
const blockStart = (block: bigint | number) => `(${block},0)`;

/**
 * Rows of a plain read of one table, in ctid order. Ranges are heap blocks: split by the
 * relation's size, the last one open so that blocks added during the run are read too.
 */
export class PostgresCtidOrder implements KeyOrder {
  readonly column = "ctid";

  private constructor(
    private readonly run: RunQuery,
    private readonly text: string,
    private readonly read: PlainRead,
    private readonly relation: { oid: number; rowsPerBlock: number | undefined },
    private readonly planRows: number | undefined,
  ) {}

  /** The ctid order of the query, or undefined when it is no plain read of a table with ctids. */
  static async open(run: RunQuery, text: string, values: unknown[], columns: string[]): Promise<PostgresCtidOrder | undefined> {
    const read = plainRead(text);
    if (!read || columns.includes(CTID_ALIAS)) return undefined;
    const { rows: versions } = await run("SELECT version() AS version", []);
    if (!(Number(/^PostgreSQL (\d+)/.exec(String(versions[0]?.version))?.[1]) >= FIRST_MAJOR)) return undefined;
    const { rows } = await run("SELECT c.oid, c.relkind, c.relpages, c.reltuples FROM pg_class c WHERE c.oid = to_regclass($1)", [read.table]);
    const found = rows[0] as { oid: number; relkind: string; relpages: number; reltuples: number } | undefined;
    // Views, foreign tables and partitioned parents have no ctid of their own: read unordered.
    if (!found || !["r", "m"].includes(found.relkind)) return undefined;
    const plan = await queryPlan(run, text, values);
    if (!plan || !rowForRow(plan)) return undefined;
    const rowsPerBlock = found.relpages > 0 && found.reltuples > 0 ? found.reltuples / found.relpages : undefined;
    const planRows = typeof plan["Plan Rows"] === "number" ? plan["Plan Rows"] : undefined;
    return new PostgresCtidOrder(run, text, read, { oid: found.oid, rowsPerBlock }, planRows);
  }

  positionOf(row: Row): KeyPosition {
    const ctid = (row as PositionedRow)[POSITION];
    if (typeof ctid !== "string") throw new SourceError("query_error", "a row read in ctid order came without its ctid");
    return ctid;
  }

  async split(parts: number): Promise<KeyRange[]> {
    if (parts <= 1) return [{}];
    const blocks = await this.blocks(this.run);
    return rangesBetween(evenBoundaries(0n, BigInt(blocks), parts).filter((block) => block > 0n).map(blockStart));
  }

  /** The planner's estimate of the query's rows (reltuples scaled to the table's size, times the WHERE's selectivity). */
  async estimate(): Promise<number | undefined> {
    return this.planRows;
  }

  /**
   * The statements that read `range` in ctid order, a chunk of blocks each, so that a sort never
   * spans more than a chunk; `values` are the read's own `:last_pull` parameters. `query` runs
   * in the read's transaction (the table's size now).
   */
  async statements(range: KeyRange, values: unknown[], batchSize: number, query: RunQuery): Promise<Iterable<CtidStatement>> {
    const end = range.upTo === undefined ? await this.blocks(query) : blockOf(range.upTo);
    const perBlock = this.relation.rowsPerBlock;
    const size = perBlock ? Math.max(1, Math.ceil((CHUNK_BATCHES * batchSize) / perBlock)) : DEFAULT_CHUNK_BLOCKS;
    return this.chunks(range, values, end, size);
  }

  /**
   * The rows without the ctid column, which only positionOf sees. Copied rather than deleted
   * from: a row with a property deleted turns into a slow dictionary for every later read.
   */
  strip(rows: Row[]): Row[] {
    const columns = Object.keys(rows[0] ?? {}).filter((name) => name !== CTID_ALIAS);
    return rows.map((row) => {
      const stripped: PositionedRow = {};
      for (const name of columns) stripped[name] = row[name];
      stripped[POSITION] = row[CTID_ALIAS] as string;
      return stripped;
    });
  }

  private async blocks(run: RunQuery): Promise<number> {
    const { rows } = await run("SELECT pg_relation_size($1::oid::regclass) / current_setting('block_size')::int8 AS blocks", [this.relation.oid]);
    return Number(rows[0]?.blocks ?? 0);
  }

  private *chunks(range: KeyRange, values: unknown[], end: number, size: number): Iterable<CtidStatement> {
    let after = range.after;
    for (let start = after === undefined ? 0 : blockOf(after); start + size < end; start += size) {
      const upTo = blockStart(start + size);
      yield this.statement({ after, upTo }, values);
      after = upTo;
    }
    yield this.statement({ after, upTo: range.upTo }, values);
  }

  private statement({ after, upTo }: KeyRange, parameters: unknown[]): CtidStatement {
    const { text, read } = this;
    const values = [...parameters];
    const conditions = read.condition === undefined ? [] : [`(${read.condition})`];
    if (after !== undefined) conditions.push(`ctid > $${values.push(ctidText(after))}::tid`);
    if (upTo !== undefined) conditions.push(`ctid <= $${values.push(ctidText(upTo))}::tid`);
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
    // By the output column: a column of the user's named ctid cannot take the sort's place.
    return { text: `${text.slice(0, read.fromAt)}, ctid AS ${CTID_ALIAS} ${text.slice(read.fromAt, read.sourceEnd)}${where} ORDER BY ${CTID_ALIAS}`, values };
  }
}
