// Many short fix texts parsed in one call to PostgreSQL's parser. Each call into libpg-query has a fixed cost
// (copying into WebAssembly memory, the JSON round trip) that dwarfs the parse of a one-line CREATE INDEX, and a
// rule can give hundreds of fixes. The texts are joined, parsed once, and each statement given back to the text
// it lies in; any doubt (a parse error anywhere, a statement crossing two texts) falls back to one call per text.
import { parseSql } from "../sql/parser.js";

/**
 * The statements' parse trees of each text, or null when PostgreSQL's parser refuses the text; keys are the
 * texts themselves. The trees are those `parseSql(text)` gives, except that the `location` fields inside them
 * count from the joined text: use them for the statements' shape, not for positions.
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
  let start = 0; // where text k starts in the joined text
  let k = 0;
  for (const statement of parsed.statements) {
    while (k < texts.length && statement.start >= start + texts[k].length) start += texts[k++].length + 1;
    if (k === texts.length || statement.start < start || statement.end > start + texts[k].length) return null;
    groups[k].push(statement.ast);
  }
  return groups.every((g) => g.length > 0) ? groups : null;
}
