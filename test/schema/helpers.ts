// Turns SQL text into the Statement[] the schema replay consumes, with the real parser.
import type { Statement } from "../../src/core/types.js";
import { initParser, lineIndex, parseSql } from "../../src/sql/parser.js";
import { replaySchema } from "../../src/schema/replay.js";

export { initParser };

/** Statements of one SQL text; files after the first get later fileOrder values. */
export function sqlToStatements(sql: string, file = "migration.sql", fileOrder = 0): Statement[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(`${file}: ${outcome.message}`);
  const position = lineIndex(sql);
  return outcome.statements.map((parsed) => {
    // Statement offsets include leading whitespace and comments; point at the first real character.
    let start = parsed.start;
    const text = sql.slice(parsed.start, parsed.end);
    const lead = /^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/.exec(text)?.[0].length ?? 0;
    start += lead;
    const { line, column } = position(start);
    return {
      ast: parsed.ast,
      sql: sql.slice(start, parsed.end),
      location: { file, line, column },
      fileOrder,
      inExplicitTransaction: false,
      inTransaction: false,
      suppressions: [],
    };
  });
}

/** Statements of several files in order. */
export function filesToStatements(files: Array<{ path: string; sql: string }>): Statement[] {
  return files.flatMap((f, i) => sqlToStatements(f.sql, f.path, i));
}

/** Replays SQL text into a schema. */
export function replaySql(sql: string) {
  return replaySchema(sqlToStatements(sql));
}
