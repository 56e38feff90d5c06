// Many short fix texts parsed in one call to PostgreSQL's parser (sql/batch-parse.ts): a rule can give hundreds
// of fixes, and each call into libpg-query has a fixed cost that dwarfs the parse of a one-line CREATE INDEX.
import { parseEach } from "../sql/batch-parse.js";

/**
 * The statements' parse trees of each text, or null when PostgreSQL's parser refuses the text; keys are the
 * texts themselves. The trees are those `parseSql(text)` gives, `location` fields (byte offsets) included.
 */
export function parseFixTexts(texts: Iterable<string>): Map<string, Array<Record<string, any>> | null> {
  const unique = [...new Set(texts)];
  const parsed = parseEach(unique);
  const out = new Map<string, Array<Record<string, any>> | null>();
  unique.forEach((text, i) => out.set(text, parsed[i]?.map((s) => s.ast) ?? null));
  return out;
}
