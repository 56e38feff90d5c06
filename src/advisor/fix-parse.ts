// Many short fix texts parsed in one call to PostgreSQL's parser. Each call into libpg-query has a fixed cost
// (copying into WebAssembly memory, the JSON round trip) that dwarfs the parse of a one-line CREATE INDEX, and a
// rule can give hundreds of fixes. The texts are joined, parsed once, and each statement given back to the text
// it lies in; any doubt (a parse error anywhere, a statement crossing two texts) falls back to one call per text.
import { parseSql } from "../sql/parser.js";

/**
 * The statements' parse trees of each text, or null when PostgreSQL's parser refuses the text; keys are the
 * texts themselves. The trees are those `parseSql(text)` gives, `location` fields (byte offsets) included.
 */
export function parseFixTexts(texts: Iterable<string>): Map<string, Array<Record<string, any>> | null> {
  const out = new Map<string, Array<Record<string, any>> | null>();
  const unique = [...new Set(texts)];
  // Only texts that start with a keyword, end with a semicolon and hold no block comment: nothing of one then
  // carries into the next unseen (a statement that does shows as one crossing two texts).
  const batch = unique.filter((text) => JOINABLE.test(text) && !text.includes("/*"));
  if (batch.length > 1) {
    const groups = statementsByText(batch);
    if (groups) batch.forEach((text, i) => out.set(text, groups[i]));
  }
  for (const text of unique) {
    if (out.has(text)) continue;
    const parsed = parseSql(text);
    out.set(text, parsed.ok ? parsed.statements.map((s) => s.ast) : null);
  }
  return out;
}

const JOINABLE = /^[A-Za-z][\s\S]*;$/;

/** Each text's statements from one parse of the texts joined by newlines, or null when that parse cannot stand for theirs. */
function statementsByText(texts: string[]): Array<Array<Record<string, any>>> | null {
  const parsed = parseSql(texts.join("\n"));
  if (!parsed.ok) return null;
  const groups: Array<Array<Record<string, any>>> = texts.map(() => []);
  let start = 0; // where text k starts in the joined text, in characters
  let startByte = 0; // and in bytes, as the parser's locations count
  let k = 0;
  for (const statement of parsed.statements) {
    while (k < texts.length && statement.start >= start + texts[k].length) {
      start += texts[k].length + 1;
      startByte += Buffer.byteLength(texts[k++], "utf8") + 1;
    }
    if (k === texts.length || statement.start < start || statement.end > start + texts[k].length) return null;
    groups[k].push(startByte === 0 ? statement.ast : rebased(statement.ast, startByte));
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
