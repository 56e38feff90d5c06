// Writing index DDL: identifiers quoted only when PostgreSQL needs it, names within 63 bytes.
import { parseSql } from "../sql/parser.js";
import { byteLength, MAX_IDENTIFIER_BYTES } from "../schema/naming.js";

/** The longest keyword in PostgreSQL's kwlist.h (current_timestamp). */
const MAX_KEYWORD_LENGTH = 17;
const quoteCache = new Map<string, boolean>();

/** True when the identifier must be double-quoted: mixed case, odd characters, or a reserved word. */
export function needsQuotes(identifier: string): boolean {
  if (!/^[a-z_][a-z0-9_$]*$/.test(identifier)) return true;
  // Not a keyword, so the grammar takes it as a plain IDENT: PostgreSQL's keywords (kwlist.h) are all
  // letters and underscores, none longer than current_timestamp's 17 characters.
  if (identifier.length > MAX_KEYWORD_LENGTH || /[0-9$]/.test(identifier)) return false;
  let cached = quoteCache.get(identifier);
  if (cached === undefined) {
    // The grammar itself knows which keywords cannot stand as a bare table or column name.
    cached = !parseSql(`CREATE INDEX ${identifier} ON ${identifier} (${identifier})`).ok;
    quoteCache.set(identifier, cached);
  }
  return cached;
}

export function quoteIdent(identifier: string): string {
  return needsQuotes(identifier) ? `"${identifier.replace(/"/g, '""')}"` : identifier;
}

export function qualifiedTable(schema: string, table: string): string {
  return schema === "public" ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Turns a column or expression into a name part: `lower(email)` -> `lower_email`. */
export function namePart(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .replace(/_+/g, "_") || "expr"
  );
}

/**
 * `idx_<table>_<cols>`, shortened with a hash suffix past 63 bytes (PostgreSQL would silently truncate)
 * and numbered when the name is taken.
 */
export function indexName(table: string, parts: string[], taken: { has(name: string): boolean }): string {
  let name = `idx_${namePart(table)}_${parts.map(namePart).join("_")}`;
  if (byteLength(name) > MAX_IDENTIFIER_BYTES) {
    const suffix = `_${shortHash(name)}`;
    name = name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length).replace(/_+$/, "") + suffix;
  }
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) {
    const suffix = `_${n}`;
    candidate = name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
  }
  return candidate;
}
