// Paths into a REST API's JSON responses: dotted (`data.items`, `paging.next.after`, `items.0.id`)
// or JSONPath's plain subset (`$.data.items`, `$.a[0].b`, `$['odd.key']`, `$.items[-1].id`).
// A path is compiled once, then read on every page.

export type PathSegment = string | number;

/** The segments of a path, or the reason it is not one. `$` alone (or "") is the value itself. */
export function compilePath(path: string): PathSegment[] | { problem: string } {
  let rest = path.trim();
  if (rest.startsWith("$")) {
    rest = rest.slice(1);
    if (rest.startsWith(".")) rest = rest.slice(1);
  }
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < rest.length) {
    const c = rest[i]!;
    if (c === "[") {
      const close = rest.indexOf("]", i);
      if (close < 0) return { problem: `"[" at ${i} is not closed by "]"` };
      const inner = rest.slice(i + 1, close).trim();
      const quoted = /^(['"])(.*)\1$/.exec(inner);
      if (quoted) segments.push(quoted[2]!);
      else if (/^-?\d+$/.test(inner)) segments.push(Number(inner));
      else return { problem: `[${inner}] is neither an index nor a quoted name (wildcards and filters are not supported)` };
      i = close + 1;
      if (rest[i] === ".") i++;
      continue;
    }
    let end = i;
    while (end < rest.length && rest[end] !== "." && rest[end] !== "[") end++;
    const name = rest.slice(i, end);
    if (name === "") return { problem: "has an empty segment" };
    if (name === "*" || name.startsWith("..")) return { problem: "wildcards and recursive descent are not supported" };
    // A bare number segment indexes an array (dotted style `items.0.id`) and names a key in an object.
    segments.push(/^-?\d+$/.test(name) ? Number(name) : name);
    i = end;
    if (rest[i] === ".") {
      i++;
      if (i === rest.length) return { problem: "ends with a dot" };
    }
  }
  return segments;
}

/** A path already checked by the schema; a bad one here is a bug, so it throws. */
export function pathOf(path: string): PathSegment[] {
  const compiled = compilePath(path);
  if (!Array.isArray(compiled)) throw new Error(`invalid path ${JSON.stringify(path)}: ${compiled.problem}`);
  return compiled;
}

/** The value at `segments` in `value`; undefined where the path leads nowhere. */
export function valueAt(value: unknown, segments: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      if (typeof segment !== "number") return undefined;
      current = current[segment < 0 ? current.length + segment : segment];
    } else {
      current = (current as Record<string, unknown>)[String(segment)];
    }
  }
  return current;
}

/** What a value is, for error messages: "an object", "a string", "nothing"… */
export function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
