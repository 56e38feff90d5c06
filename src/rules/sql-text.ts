// Small helpers for writing SQL text in fixes: identifier quoting, PostgreSQL's object naming,
// and keyword insertion into a statement's own text (so a fix keeps the author's formatting).
import { QuoteUtils } from "pgsql-deparser";
import { parseSql, scanSql, type Token } from "../sql/parser.js";
import { clipBytes, makeObjectName as objectName, MAX_IDENTIFIER_BYTES } from "../schema/naming.js";

// PostgreSQL's identifier limit and cut, kept in schema/naming.ts beside the names replay chooses.
export { clipBytes, MAX_IDENTIFIER_BYTES };

/** Quotes an identifier only when PostgreSQL needs it (its own quote_identifier rules). */
export function quoteIdent(name: string): string {
  return QuoteUtils.quoteIdentifier(name);
}

/** A table name as a fix writes it: bare in `public`, schema-qualified elsewhere. */
export function tableRef(schema: string, name: string): string {
  return schema === "public" ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** The `schema.table` form findings use (unquoted, always qualified). */
export function qualifiedName(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/**
 * PostgreSQL's makeObjectName() (schema/naming.ts): `name1_name2_label`, shortening the longer of name1/name2
 * until the whole fits in 63 bytes; an empty name2 or label is left out as a missing one.
 */
export function makeObjectName(name1: string, name2: string | null, label: string | null): string {
  return objectName(name1, name2 || null, label || null);
}

/** Column names joined the way PostgreSQL joins them into an invented name (at most 63 bytes). */
export function joinedColumnNames(columns: string[]): string {
  return clipBytes(columns.join("_"), MAX_IDENTIFIER_BYTES);
}

/** The name our fixes give a new index: `idx_<table>_<col>_<col>`, within 63 bytes. */
export function recommendedIndexName(table: string, columns: string[]): string {
  return makeObjectName(`idx_${table}`, joinedColumnNames(columns), null);
}

/** Ends a statement with exactly one semicolon. */
export function terminate(sql: string): string {
  const trimmed = sql.trimEnd().replace(/;+$/, "").trimEnd();
  return `${trimmed};`;
}

function isKeyword(token: Token, word: string): boolean {
  return token.name !== "IDENT" && !token.name.includes("COMMENT") && token.text.toUpperCase() === word;
}

/**
 * Inserts ` CONCURRENTLY` right after the first keyword in `after` (e.g. INDEX in
 * `CREATE UNIQUE INDEX name ON ...`), keeping the rest of the text as written.
 * Returns null when the keyword is not found or the result does not parse.
 */
export function insertConcurrently(sql: string, after: string[]): string | null {
  const scanned = scanSql(sql);
  if (!scanned.ok) return null;
  const anchor = scanned.tokens.find((t) => after.some((word) => isKeyword(t, word)));
  if (!anchor) return null;
  // Written in the case the statement is written in.
  const keyword = anchor.text === anchor.text.toLowerCase() ? "concurrently" : "CONCURRENTLY";
  const rewritten = terminate(`${sql.slice(0, anchor.end)} ${keyword}${sql.slice(anchor.end)}`);
  return parsesCleanly(rewritten) ? rewritten : null;
}

/** True when the text is one or more statements the parser accepts. */
export function parsesCleanly(sql: string): boolean {
  const outcome = parseSql(sql);
  return outcome.ok && outcome.statements.length > 0;
}

/** The name of a qualified-name list node (`[{String:{sval}}...]`), as [schema?, name]. */
export function nameParts(list: Array<Record<string, any>> | undefined): string[] {
  return (list ?? []).map((item) => item.String?.sval ?? "").filter((s) => s !== "");
}
