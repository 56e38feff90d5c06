// The one doorway to PostgreSQL's own parser (libpg-query, PostgreSQL 18 compiled to WASM).
// Offsets coming out of here are JavaScript string offsets (UTF-16), not the parser's UTF-8 bytes.
import { loadModule, parseSync, parsePlPgSQLSync, scanSync } from "libpg-query";
import { deparseSync } from "pgsql-deparser";

let ready: Promise<void> | null = null;

/** Loads the WASM parser once; every other function here needs it loaded. */
export function initParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

export interface ParsedStatement {
  /** The statement node, e.g. `{ CreateStmt: {...} }`. */
  ast: Record<string, any>;
  /** Offsets into the parsed text (UTF-16), statement text without the trailing semicolon. */
  start: number;
  end: number;
}

export type ParseOutcome =
  | { ok: true; statements: ParsedStatement[] }
  | { ok: false; message: string; /** Offset (UTF-16) of the error, when the parser gives one. */ offset: number | null };

/** Converts UTF-8 byte offsets to string offsets; cheap when the text is ASCII. */
function byteToCharMapper(text: string): (byteOffset: number) => number {
  // ASCII when its UTF-8 length is its length (any other character takes 2 to 4 bytes for 1 or 2 code
  // units): a native count, several times faster than a regular expression over the text.
  if (Buffer.byteLength(text, "utf8") === text.length) return (b) => b;
  const encoder = new TextEncoder();
  const bytes = encoder.encode(text);
  const map = new Int32Array(bytes.length + 1);
  let char = 0;
  let byte = 0;
  for (const ch of text) {
    const len = encoder.encode(ch).length;
    for (let k = 0; k < len; k++) map[byte + k] = char;
    byte += len;
    char += ch.length;
  }
  map[bytes.length] = char;
  return (b) => map[Math.max(0, Math.min(b, bytes.length))];
}

function codePointToStringOffset(text: string, codePoints: number): number {
  if (!/[\ud800-\udfff]/.test(text)) return Math.min(codePoints, text.length);
  let offset = 0;
  for (let seen = 0; seen < codePoints && offset < text.length; seen++) {
    offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  }
  return offset;
}

/** Parses SQL into top-level statements. Never throws for bad SQL: the outcome says what went wrong. */
export function parseSql(sql: string): ParseOutcome {
  let result: { stmts?: Array<{ stmt?: Record<string, any>; stmt_location?: number; stmt_len?: number }> };
  try {
    result = parseSync(sql) as typeof result;
  } catch (error) {
    const err = error as Error & { sqlDetails?: { cursorPosition?: number } };
    const cursor = err.sqlDetails?.cursorPosition;
    // PostgreSQL reports the error position in characters (code points), unlike statement locations.
    const offset = typeof cursor === "number" && cursor >= 0 ? codePointToStringOffset(sql, cursor) : null;
    return { ok: false, message: err.message, offset };
  }
  const toChar = byteToCharMapper(sql);
  const statements: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = toChar(startByte);
    // stmt_len 0 means "to the end of the string".
    const end = raw.stmt_len ? toChar(startByte + raw.stmt_len) : sql.length;
    statements.push({ ast: raw.stmt, start, end });
  }
  return { ok: true, statements };
}

/** Parses a PL/pgSQL function body (the JSON tree PostgreSQL's plpgsql compiler builds). */
export function parsePlpgsql(createFunctionSql: string): { ok: true; tree: any } | { ok: false; message: string } {
  try {
    return { ok: true, tree: parsePlPgSQLSync(createFunctionSql) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export interface Token {
  start: number;
  end: number;
  text: string;
  /** Scanner token name, e.g. `IDENT`, `SCONST`, `ASCII_59` (a semicolon). */
  name: string;
}

/** Runs PostgreSQL's lexer only: works on text the grammar rejects. Comments come back as SQL_COMMENT / C_COMMENT tokens; keywords are named UNKNOWN. */
export function scanSql(sql: string): { ok: true; tokens: Token[] } | { ok: false; message: string } {
  try {
    const toChar = byteToCharMapper(sql);
    const tokens = scanSync(sql).tokens.map((t) => {
      const start = toChar(t.start);
      const end = toChar(t.end);
      return { start, end, text: sql.slice(start, end), name: t.tokenName };
    });
    return { ok: true, tokens };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** SQL text of an expression or statement node, on one line. */
export function deparseNode(node: Record<string, any>): string {
  return deparseSync(node as any, { pretty: false }).replace(/\s*\n\s*/g, " ").trim();
}

/** 1-based line and column of an offset; build once per text and reuse. */
export function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  };
}
