// Many short SQL texts parsed in one call to PostgreSQL's parser. Each call into libpg-query has a fixed cost
// (copying into WebAssembly memory, the JSON round trip) that dwarfs the parse of a one-line CREATE INDEX, and
// the advisor's fixes or a declared schema's DDL come by the hundred. The texts are joined, parsed once, and each
// statement given back to the text it lies in; any doubt (a parse error anywhere, a statement crossing two
// texts) falls back to one call per text.
import { parseSql, type ParsedStatement } from "./parser.js";

/**
 * Each text's statements, as `parseSql(text)` gives them: trees with `location` fields (byte offsets) and
 * `start`/`end` (UTF-16 offsets) counted from the start of that text; null where the parser refuses the
 * text (parseSql on that text gives the reason). Texts equal to one another still get trees of their own.
 */
export function parseEach(texts: readonly string[]): Array<ParsedStatement[] | null> {
  const out: Array<ParsedStatement[] | null | undefined> = new Array(texts.length).fill(undefined);
  // Only texts that start with a keyword, end with a semicolon and hold no block comment: nothing of one then
  // carries into the next unseen (a statement that does shows as one crossing two texts).
  const batch: number[] = [];
  for (let i = 0; i < texts.length; i++) if (JOINABLE.test(texts[i]) && !texts[i].includes("/*")) batch.push(i);
  if (batch.length > 1) {
    const groups = statementsByText(batch.map((i) => texts[i]));
    if (groups) batch.forEach((i, k) => (out[i] = groups[k]));
  }
  return out.map((known, i) => {
    if (known !== undefined) return known;
    const parsed = parseSql(texts[i]);
    return parsed.ok ? parsed.statements : null;
  });
}

const JOINABLE = /^[A-Za-z][\s\S]*;$/;

/** Each text's statements from one parse of the texts joined by newlines, or null when that parse cannot stand for theirs. */
function statementsByText(texts: string[]): ParsedStatement[][] | null {
  const parsed = parseSql(texts.join("\n"));
  if (!parsed.ok) return null;
  const groups: ParsedStatement[][] = texts.map(() => []);
  let start = 0; // where text k starts in the joined text, in characters
  let startByte = 0; // and in bytes, as the parser's locations count
  let k = 0;
  for (const statement of parsed.statements) {
    while (k < texts.length && statement.start >= start + texts[k].length) {
      start += texts[k].length + 1;
      startByte += Buffer.byteLength(texts[k++], "utf8") + 1;
    }
    if (k === texts.length || statement.start < start || statement.end > start + texts[k].length) return null;
    groups[k].push({ ast: startByte === 0 ? statement.ast : rebased(statement.ast, startByte), start: statement.start - start, end: statement.end - start });
  }
  return groups.every((g) => g.length > 0) ? groups : null;
}

/** The tree with every `location` moved back by `by` bytes (-1, no location, stays). Changes the tree in place. */
function rebased<T>(node: T, by: number): T {
  if (Array.isArray(node)) {
    for (const item of node) rebased(item, by);
    return node;
  }
  if (!node || typeof node !== "object") return node;
  const n = node as Record<string, any>;
  for (const key in n) {
    const value = n[key];
    if (key === "location" && typeof value === "number") {
      if (value >= 0) n[key] = value - by;
    } else if (value && typeof value === "object") rebased(value, by);
  }
  return node;
}
