// Many short fix texts parsed in one call to PostgreSQL's parser (sql/batch-parse.ts): a rule can give hundreds
// of fixes, and each call into libpg-query has a fixed cost that dwarfs the parse of a one-line CREATE INDEX.
import { parseEach } from "../sql/batch-parse.js";
import type { ParsedStatement } from "../sql/parser.js";

/**
 * The parses of one audit's fix texts, while `keepingFixParses` runs: the steps that put the findings together
 * (the check that every fix parses, merging, conflicts, names) read the same texts one after another.
 */
let kept: Map<string, ParsedStatement[] | null> | null = null;

/** Runs `run` with the fix texts' parses kept from one call to the next, and forgotten after. */
export function keepingFixParses<T>(run: () => T): T {
  const outer = kept;
  kept = new Map();
  try {
    return run();
  } finally {
    kept = outer;
  }
}

/**
 * Each text's statements as `parseSql(text)` gives them (trees with their byte positions, UTF-16 offsets into
 * the text), or null when PostgreSQL's parser refuses the text; keys are the texts themselves. Callers only
 * read them: one text's statements may be given to several callers.
 */
export function parseFixStatements(texts: Iterable<string>): Map<string, ParsedStatement[] | null> {
  const unique = [...new Set(texts)];
  const known = kept;
  const missing = known ? unique.filter((text) => !known.has(text)) : unique;
  const parsed = parseEach(missing);
  const fresh = new Map<string, ParsedStatement[] | null>();
  missing.forEach((text, i) => {
    fresh.set(text, parsed[i]);
    known?.set(text, parsed[i]);
  });
  if (!known || missing.length === unique.length) return fresh;
  return new Map(unique.map((text) => [text, fresh.has(text) ? fresh.get(text)! : known.get(text)!]));
}

/**
 * The statements' parse trees of each text, or null when PostgreSQL's parser refuses the text; keys are the
 * texts themselves. The trees are those `parseSql(text)` gives, `location` fields (byte offsets) included.
 */
export function parseFixTexts(texts: Iterable<string>): Map<string, Array<Record<string, any>> | null> {
  const out = new Map<string, Array<Record<string, any>> | null>();
  for (const [text, statements] of parseFixStatements(texts)) out.set(text, statements ? statements.map((s) => s.ast) : null);
  return out;
}
