// `.sql` query files: sqlc (`-- name: GetUser :one`), pgtyped (`/* @name GetUser */`), or plain statements.
import type { AccessPattern, InputProblem } from "../core/types.js";
import { foreignDialectStart } from "../sql/dialect.js";
import { lineIndex, parseSql } from "../sql/parser.js";
import { patternsFromStatement } from "./sql-patterns.js";

const MARKER = /--\s*name:\s*(\w+)[^\n]*|\/\*\s*@name\s+(\w+)[\s\S]*?\*\//g;

/**
 * Named parameters of query-file tools are not PostgreSQL syntax: pgtyped `:id` / `:ids*`, sqlc
 * `@id`, `sqlc.arg(id)`, `sqlc.narg(id)`. Each becomes a `$n` so the real parser reads the query;
 * the text keeps its length where it can so offsets stay close.
 */
export function normaliseParameters(sql: string): string {
  let n = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) n = Math.max(n, Number(m[1]));
  return sql
    .replace(/sqlc\.n?arg\(\s*'?(\w+)'?\s*\)/g, (whole) => `$${++n}`.padEnd(whole.length))
    .replace(/(?<![:\w'"])[:@](\w+)[!*]?/g, (whole, _name, offset: number, text: string) => {
      // `::type` casts and `@>` operators stay as they are.
      if (text[offset - 1] === ":" || /^\W/.test(whole.slice(1))) return whole;
      return `$${++n}`.padEnd(whole.length);
    });
}

export function extractFromSqlFile(path: string, text: string): { patterns: AccessPattern[]; problems: InputProblem[] } {
  const at = lineIndex(text);
  const names: Array<{ offset: number; name: string }> = [];
  for (const m of text.matchAll(MARKER)) names.push({ offset: m.index ?? 0, name: m[1] ?? m[2] });
  const nameAt = (offset: number) => {
    let found: string | undefined;
    for (const entry of names) if (entry.offset <= offset) found = entry.name;
    return found;
  };

  // Blocks: one per named query, or the whole file when there are no markers.
  const starts = names.length > 0 ? names.map((n) => n.offset) : [0];
  if (starts[0] !== 0) starts.unshift(0);
  const patterns: AccessPattern[] = [];
  const problems: InputProblem[] = [];
  for (let i = 0; i < starts.length; i++) {
    const blockStart = starts[i];
    const block = text.slice(blockStart, starts[i + 1] ?? text.length);
    if (!block.trim()) continue;
    const sql = normaliseParameters(block);
    const outcome = parseSql(sql);
    if (!outcome.ok) {
      const { line, column } = at(blockStart + (outcome.offset ?? 0));
      const foreign = foreignDialectStart(block, outcome.offset ?? block.length);
      if (!foreign) {
        problems.push({ message: `${path}:${line}: cannot parse query: ${outcome.message}`, location: { file: path, line, column } });
        continue;
      }
      // A script kept for several databases. Its PostgreSQL part is not read as queries either: such a file is
      // usually run by hand, once, and its queries are no request path to index for.
      const notPostgres = { line: at(blockStart + foreign.offset).line, dialect: foreign.dialect, sign: foreign.sign };
      problems.push({
        message: `${path}:${notPostgres.line}: not PostgreSQL from line ${notPostgres.line} (${foreign.sign}); PostgreSQL's parser stops at line ${line}: ${outcome.message}`,
        location: { file: path, line: notPostgres.line, column: 1 },
        notPostgres,
      });
      continue;
    }
    for (const statement of outcome.statements) {
      const lead = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/.exec(block.slice(statement.start))?.[0].length ?? 0;
      const offset = blockStart + statement.start + lead;
      const { line, column } = at(offset);
      patterns.push(
        ...patternsFromStatement(statement.ast, {
          source: "sql-file",
          location: { file: path, line, column },
          functionName: nameAt(offset),
        }),
      );
    }
  }
  return { patterns, problems };
}
