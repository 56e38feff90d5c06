// Reads a migration set's files in apply order and turns them into parsed statements, each with its
// file, line and column, whether it runs inside a transaction, and the suppressions written above it.
// A statement that does not parse becomes one InputProblem; the statements around it still come through.
import type { TextReader } from "../source/source.js";
import type { FileMemo } from "../core/memo.js";
import type { ParsePool } from "../source/parse-pool.js";
import type { InputProblem, MigrationFile, MigrationSet, Statement, Suppression } from "../core/types.js";
import { initParser, parsePlpgsql, parseSql, scanSql, type ParsedStatement } from "../sql/parser.js";
import { dbmateUpSection } from "./frameworks/dbmate.js";
import { placeholdersAsNames } from "./frameworks/flyway.js";
import { readInOrder } from "./read-ahead.js";
import { prepareScript, SUPPRESSION_MARKER, type Comment, type PreparedScript, type Span } from "./script.js";
import { squawkSuppressions } from "./squawk-ignore.js";

/** Files up to this size are parsed in one call. */
const WHOLE_FILE_CHARS = 1024 * 1024;
// Larger files are parsed in pieces of about this size, cut at statement ends: the parser's cost per
// byte grows with the size of one input (a 10 MB script parses about twice as fast in 256 KB pieces),
// and its JSON output for one huge input is a string of hundreds of megabytes.
const CHUNK_CHARS = 256 * 1024;

/** How deep DO blocks that EXECUTE further DO blocks are followed. */
const MAX_DO_DEPTH = 3;

export interface LoadResult {
  statements: Statement[];
  problems: InputProblem[];
}

export async function loadMigrationSet(set: MigrationSet, read: TextReader, memo?: FileMemo, pool?: ParsePool): Promise<LoadResult> {
  return (await startMigrationSet(set, read, memo, pool)).done;
}

/**
 * Reads the set's files and queues each file's parse (on `pool`'s workers when given, else here, as it
 * is read); resolves once every file is read, with `done`, the statements and problems in apply order.
 */
export async function startMigrationSet(
  set: MigrationSet,
  read: TextReader,
  memo?: FileMemo,
  pool?: ParsePool,
): Promise<{ done: Promise<LoadResult> }> {
  await initParser();
  // Per file, in apply order: what reading it found, then its parse (a value, or a worker's promise).
  const parts: Array<InputProblem[] | LoadResult | Promise<LoadResult>> = [];
  let index = 0;
  for await (const [, result] of readInOrder(
    set.files.map((f) => f.path),
    read,
  )) {
    const file = set.files[index++];
    if (!result.ok) {
      parts.push([problem(file.path, { line: 1, column: 1 }, `migration file not read: ${result.reason}`)]);
      continue;
    }
    let text = result.text;
    if (result.encoding === "windows-1252") {
      // The statements still enter the model; running the file is what fails.
      parts.push([
        problem(
          file.path,
          firstNonAscii(text),
          "migration file is not UTF-8 (read as windows-1252): PostgreSQL rejects these bytes when client_encoding is UTF8",
        ),
      ]);
    }
    if (set.framework === "dbmate") {
      // Discovery reports a dbmate file with no up section; dbmate would apply nothing from it.
      const up = dbmateUpSection(text);
      if (up === null) continue;
      text = up;
    }
    if (set.framework === "flyway") text = placeholdersAsNames(text);
    const parse = (): LoadResult | Promise<LoadResult> => {
      if (pool) return settled(pool.run({ kind: "migration", text, file }));
      const own: LoadResult = { statements: [], problems: [] };
      loadScript(text, file, own.statements, own.problems);
      return own;
    };
    parts.push(memo ? memo.get("migration", `${file.path}\u0000${file.order}\u0000${file.runsInTransaction}`, text, parse) : parse());
  }
  const done = (async (): Promise<LoadResult> => {
    const statements: Statement[] = [];
    const problems: InputProblem[] = [];
    for (const part of parts) {
      if (Array.isArray(part)) {
        problems.push(...part);
        continue;
      }
      const loaded = await part;
      for (const s of loaded.statements) statements.push(s);
      for (const p of loaded.problems) problems.push(p);
    }
    return { statements, problems };
  })();
  return { done: settled(done) };
}

/** The same promise, marked as handled: it is awaited later, in order, and may reject before that. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Parses one file's text (already cut to the section the framework runs) into statements. */
export function loadScript(source: string, file: MigrationFile, statements: Statement[], problems: InputProblem[]): void {
  // The parser reads C strings, so a NUL would silently end the file there. PostgreSQL refuses 0x00 in SQL
  // text ("invalid byte sequence for encoding UTF8: 0x00"): report each line that has one, and read the NUL
  // as a space (same length, so every position stays) so the statements after it are still audited.
  if (source.includes("\0")) {
    const nulLines = new LineTable(source);
    const seen = new Set<number>();
    for (let at = source.indexOf("\0"); at !== -1; at = source.indexOf("\0", at + 1)) {
      const position = nulLines.position(at);
      if (seen.has(position.line)) continue;
      seen.add(position.line);
      problems.push({ ...problem(file.path, position, "a NUL byte (0x00): PostgreSQL refuses it in SQL text (invalid byte sequence for encoding \"UTF8\": 0x00)"), kind: "refused" });
    }
    source = source.replace(/\0/g, " ");
  }
  const script = prepareScript(source);
  // Only comments and blank space (libpg-query rejects an empty input rather than returning nothing).
  if (script.spans.length === 0 && script.markerComments.length === 0) return;
  const lines = new LineTable(source);
  const suppressions = suppressionsByLine(script.markerComments, 0, source, lines, file.path, problems);
  for (const [line, list] of squawkSuppressions(source, file.path)) suppressions.set(line, [...(suppressions.get(line) ?? []), ...list]);
  const tx = new TransactionTracker(file.runsInTransaction);
  // The parser lets a last statement without a semicolon run to the end of the text; stop it at its last token.
  const contentEnd = script.spans.length > 0 ? script.spans[script.spans.length - 1].end : script.text.length;

  const emit = (parsed: ParsedStatement, base: number): void => {
    const offset = base + parsed.start;
    const position = lines.position(offset);
    const statement: Statement = {
      ast: parsed.ast,
      sql: script.text.slice(offset, Math.max(offset, Math.min(base + parsed.end, contentEnd))),
      location: { file: file.path, line: position.line, column: position.column },
      fileOrder: file.order,
      inExplicitTransaction: false,
      inTransaction: false,
      suppressions: suppressions.get(position.line) ?? [],
    };
    tx.place(statement);
    statements.push(statement);
    if (parsed.ast.DoStmt) {
      expandDoBlock(statement, offset, source, lines, file, statements, problems, 1);
    }
  };

  if (script.spans.length === 0) return;
  for (const [from, to] of regions(script)) {
    const text = from === 0 && to === script.text.length ? script.text : script.text.slice(from, to);
    const outcome = parseSql(text);
    if (outcome.ok) {
      for (const parsed of outcome.statements) emit(parsed, from);
      continue;
    }
    // Parse statement by statement, so one bad statement costs only itself.
    const before = problems.length;
    for (const [start, end] of statementPieces(text, script.spans, from)) {
      const piece = text.slice(start, end);
      const single = parseSql(piece);
      if (single.ok) {
        for (const parsed of single.statements) emit(parsed, from + start);
      } else {
        const at = from + start + errorOffset(piece, single.message, single.offset);
        problems.push(problem(file.path, lines.position(at), `SQL does not parse: ${single.message}`));
      }
    }
    if (problems.length === before) {
      // Every piece parsed on its own although the whole did not: report the parser's own complaint.
      const at = from + errorOffset(text, outcome.message, outcome.offset);
      problems.push(problem(file.path, lines.position(at), `SQL does not parse: ${outcome.message}`));
    }
  }
}

/**
 * Where in `text` a parse error points. The offset parseSql reports can fall short by the multi-byte
 * characters before the error (PostgreSQL's cursor counts characters, not UTF-8 bytes), so the token
 * the message names is looked for from there on; with an exact offset the search finds it in place.
 */
export function errorOffset(text: string, message: string, reported: number | null): number {
  if (/ at end of input/.test(message)) return text.replace(/\s+$/, "").length;
  const base = Math.max(0, Math.min(reported ?? 0, text.length));
  const near = / at or near "((?:[^"]|"")*)"/.exec(message);
  if (!near || reported === null) return base;
  const at = text.indexOf(near[1].replace(/""/g, '"'), base);
  return at === -1 ? base : at;
}

/** The whole script, or pieces of about CHUNK_CHARS that end where statements end. */
function regions(script: PreparedScript): Array<[number, number]> {
  const length = script.text.length;
  if (length <= WHOLE_FILE_CHARS) return [[0, length]];
  const out: Array<[number, number]> = [];
  let from = 0;
  for (const span of script.spans) {
    const end = Math.min(length, span.end + 1);
    if (end - from >= CHUNK_CHARS) {
      out.push([from, end]);
      from = end;
    }
  }
  if (from < length) out.push([from, length]);
  return out;
}

/**
 * Statement extents within `text` (a region starting at `base` of the script), found by PostgreSQL's
 * own lexer: top-level semicolons, with strings, dollar quotes and comments skipped, and semicolons
 * inside parentheses or a `BEGIN ATOMIC ... END` body kept inside. When even the lexer fails (an unterminated quote), the
 * script's own spans are used.
 */
function statementPieces(text: string, spans: Span[], base: number): Array<[number, number]> {
  const scan = scanSql(text);
  if (!scan.ok) {
    return spans
      .filter((s) => s.start >= base && s.start < base + text.length)
      .map((s): [number, number] => [s.start - base, Math.min(s.end + 1, base + text.length) - base]);
  }
  const pieces: Array<[number, number]> = [];
  let start = -1;
  let previous = "";
  let atomicDepth = 0;
  let parenDepth = 0;
  for (const token of scan.tokens) {
    if (token.name === "SQL_COMMENT" || token.name === "C_COMMENT") continue;
    if (token.name === "ASCII_40") parenDepth++;
    else if (token.name === "ASCII_41" && parenDepth > 0) parenDepth--;
    if (token.name === "ASCII_59" && atomicDepth === 0 && parenDepth === 0) {
      // The semicolon stays in the piece, so an error just before it reads `at or near ";"`.
      if (start !== -1) pieces.push([start, token.end]);
      start = -1;
      previous = "";
      continue;
    }
    if (start === -1) start = token.start;
    const word = token.text.toLowerCase();
    if (atomicDepth === 0) {
      if (word === "atomic" && previous === "begin") atomicDepth = 1;
    } else if (word === "case") atomicDepth++;
    else if (word === "end") atomicDepth--;
    previous = word;
  }
  if (start !== -1) pieces.push([start, text.length]);
  return pieces;
}

/** Follows BEGIN / COMMIT written in a file; the framework's own wrapping comes from the MigrationFile. */
class TransactionTracker {
  private open = false;

  constructor(private readonly frameworkWraps: boolean) {}

  place(statement: Statement): void {
    const kind: string | undefined = statement.ast.TransactionStmt?.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") this.open = true;
    statement.inExplicitTransaction = this.open;
    statement.inTransaction = this.frameworkWraps || this.open;
    const ends =
      kind === "TRANS_STMT_ROLLBACK" ||
      kind === "TRANS_STMT_PREPARE" ||
      (kind === "TRANS_STMT_COMMIT" && !statement.ast.TransactionStmt?.chain);
    if (ends) this.open = false;
  }
}

/** Offsets to 1-based lines and columns, and back from lines to their text. */
class LineTable {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  position(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    return { line, column: offset - this.starts[line - 1] + 1 };
  }

  /** The text of a 1-based line, without its line break; null past the end. */
  lineText(line: number): string | null {
    if (line < 1 || line > this.starts.length) return null;
    const start = this.starts[line - 1];
    const end = line < this.starts.length ? this.starts[line] - 1 : this.text.length;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  lineStart(line: number): number {
    return this.starts[line - 1];
  }
}

const SUPPRESSION = new RegExp(
  `${SUPPRESSION_MARKER}(?:\\s+([A-Za-z0-9][\\w-]*(?:\\s*,\\s*[A-Za-z0-9][\\w-]*)*))?\\s*(?::\\s*([\\s\\S]*?))?\\s*(?:\\*\\/)?\\s*$`,
);

/**
 * Suppression comments keyed by the line of the statement they apply to: the line the comment is on
 * when code shares it, otherwise the first line of code below a run of comment lines.
 */
function suppressionsByLine(
  comments: Comment[],
  base: number,
  text: string,
  lines: LineTable,
  file: string,
  problems: InputProblem[],
): Map<number, Suppression[]> {
  const byLine = new Map<number, Suppression[]>();
  for (const comment of comments) {
    const start = base + comment.start;
    const end = base + comment.end;
    const position = lines.position(start);
    const body = comment.text.slice(comment.text.indexOf(SUPPRESSION_MARKER));
    const match = SUPPRESSION.exec(body);
    if (!match || !match[1]) {
      problems.push(problem(file, position, `malformed suppression: write \`-- ${SUPPRESSION_MARKER} <rule>: <reason>\``));
      continue;
    }
    const target = targetLine(start, end, text, lines);
    if (target === null) continue;
    const reason = (match[2] ?? "").trim();
    const location = { file, line: position.line, column: position.column };
    const list = byLine.get(target) ?? [];
    for (const rule of match[1].split(",")) list.push({ rule: rule.trim(), reason, location });
    byLine.set(target, list);
  }
  return byLine;
}

function targetLine(start: number, end: number, text: string, lines: LineTable): number | null {
  const firstLine = lines.lineOf(start);
  if (text.slice(lines.lineStart(firstLine), start).trim() !== "") return firstLine;
  const lastLine = lines.lineOf(Math.max(start, end - 1));
  const after = (lines.lineText(lastLine) ?? "").slice(end - lines.lineStart(lastLine)).trim();
  if (after !== "" && !after.startsWith("--")) return lastLine;
  for (let line = lastLine + 1; ; line++) {
    const content = lines.lineText(line);
    if (content === null) return null;
    const trimmed = content.trim();
    if (trimmed === "") return null;
    if (trimmed.startsWith("--")) continue;
    return line;
  }
}

/** Line and column of the first character outside ASCII, where a legacy 8-bit file differs from UTF-8. */
function firstNonAscii(text: string): { line: number; column: number } {
  const at = text.search(/[^\x00-\x7f]/);
  if (at === -1) return { line: 1, column: 1 };
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: at - lineStart + 1 };
}

function problem(file: string, position: { line: number; column: number }, message: string): InputProblem {
  return { message, location: { file, line: position.line, column: position.column } };
}

// ---------------------------------------------------------------- DO blocks

interface DoBody {
  body: string;
  /** File offset of the body's first character; null when the body was a quoted string with escapes. */
  offset: number | null;
}

function doBody(statement: Statement, statementOffset: number): DoBody | null {
  let body: string | undefined;
  let language = "plpgsql";
  for (const arg of statement.ast.DoStmt?.args ?? []) {
    const def = arg.DefElem;
    if (def?.defname === "as") body = def.arg?.String?.sval;
    if (def?.defname === "language") language = String(def.arg?.String?.sval ?? language).toLowerCase();
  }
  if (body === undefined || language !== "plpgsql") return null;
  const at = body ? statement.sql.indexOf(body) : -1;
  return { body, offset: at === -1 ? null : statementOffset + at };
}

interface EmbeddedSql {
  /** 1-based line within the body. */
  lineno: number;
  query: string;
  /** EXECUTE '<literal>': the SQL is the literal's value. */
  dynamic: boolean;
}

/** SQL statements inside a PL/pgSQL tree, in source order. */
function embeddedSql(tree: unknown): EmbeddedSql[] {
  const found: EmbeddedSql[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, any>;
    const exec = record.PLpgSQL_stmt_execsql;
    if (exec?.sqlstmt?.PLpgSQL_expr?.query) {
      found.push({ lineno: exec.lineno ?? 1, query: exec.sqlstmt.PLpgSQL_expr.query, dynamic: false });
    }
    const dyn = record.PLpgSQL_stmt_dynexecute;
    if (dyn?.query?.PLpgSQL_expr?.query) {
      found.push({ lineno: dyn.lineno ?? 1, query: dyn.query.PLpgSQL_expr.query, dynamic: true });
    }
    for (const value of Object.values(record)) walk(value);
  };
  walk(tree);
  return found.sort((a, b) => a.lineno - b.lineno);
}

/** The value of an expression that is one string literal ('...', E'...', $$...$$), else null. */
function literalValue(expression: string): string | null {
  const parsed = parseSql(`SELECT ${expression}`);
  if (!parsed.ok || parsed.statements.length !== 1) return null;
  const targets = parsed.statements[0].ast.SelectStmt?.targetList;
  if (!Array.isArray(targets) || targets.length !== 1) return null;
  const value = targets[0].ResTarget?.val?.A_Const?.sval?.sval;
  return typeof value === "string" ? value : null;
}

function dollarTagFor(body: string): string {
  let tag = "$index_audit$";
  for (let k = 1; body.includes(tag); k++) tag = `$index_audit${k}$`;
  return tag;
}

/** Emits the SQL statements inside a DO block, each at its own line, marked fromDoBlock. */
function expandDoBlock(
  statement: Statement,
  statementOffset: number,
  source: string,
  lines: LineTable,
  file: MigrationFile,
  statements: Statement[],
  problems: InputProblem[],
  depth: number,
): void {
  const found = doBody(statement, statementOffset);
  if (!found) return;
  const { body, offset: bodyOffset } = found;
  const tag = dollarTagFor(body);
  const parsed = parsePlpgsql(`CREATE FUNCTION index_audit_do() RETURNS void AS ${tag}${body}${tag} LANGUAGE plpgsql`);
  if (!parsed.ok) {
    problems.push(problem(file.path, statement.location, `DO block does not parse as PL/pgSQL: ${parsed.message}`));
    return;
  }
  const bodyLines = new LineTable(body);
  // Comments inside the body are part of a dollar-quoted string to the outer script, so look again here.
  const inner =
    bodyOffset === null
      ? new Map<number, Suppression[]>()
      : suppressionsByLine(prepareScript(body).markerComments, bodyOffset, source, lines, file.path, problems);

  for (const sql of embeddedSql(parsed.tree)) {
    const lineStart = sql.lineno <= 1 ? 0 : (bodyLines.lineText(sql.lineno) === null ? 0 : bodyLines.lineStart(sql.lineno));
    const foundAt = body.indexOf(sql.query, lineStart);
    const queryOffset = foundAt === -1 ? lineStart : foundAt;
    let text = sql.query;
    let textOffset = queryOffset;
    if (sql.dynamic) {
      const literal = literalValue(sql.query);
      if (literal === null) continue; // built at run time: nothing to read statically
      text = literal;
      const open = sql.query.search(/['$]/);
      textOffset = queryOffset + (open === -1 ? 0 : open + (sql.query[open] === "$" ? (/^\$[^$]*\$/.exec(sql.query.slice(open))?.[0].length ?? 1) : 1));
    }
    const result = parseSql(text);
    // PL/pgSQL accepts a few forms the SQL grammar does not (SELECT ... INTO var); those hold no DDL.
    if (!result.ok) continue;
    for (const part of result.statements) {
      const fileOffset = bodyOffset === null ? statementOffset : bodyOffset + textOffset + part.start;
      const position = lines.position(Math.min(fileOffset, source.length));
      const own = inner.get(position.line) ?? [];
      const innerStatement: Statement = {
        ast: part.ast,
        sql: text.slice(part.start, part.end),
        location: { file: file.path, line: position.line, column: position.column },
        fileOrder: file.order,
        inExplicitTransaction: statement.inExplicitTransaction,
        // A DO block is one statement: whatever it runs is inside that statement's transaction.
        inTransaction: true,
        fromDoBlock: true,
        suppressions: [...statement.suppressions, ...own],
      };
      statements.push(innerStatement);
      if (part.ast.DoStmt && depth < MAX_DO_DEPTH && bodyOffset !== null) {
        expandDoBlock(innerStatement, fileOffset, source, lines, file, statements, problems, depth + 1);
      }
    }
  }
}
