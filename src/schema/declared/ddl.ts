// What the declared-schema readers share: the DDL an ORM's migration tool would generate from a declaration,
// each statement placed at the declaring line, and the turn of that DDL into the model the replay builds.
// The readers write the DDL (each follows its own tool's conventions); this module parses it with PostgreSQL's
// parser and replays it, so a declared schema and a migrated one are the same kind of model.
import type { DeclaredSchema, InputProblem, Location, Schema, Statement } from "../../core/types.js";
import { parseEach } from "../../sql/batch-parse.js";
import { parseSql } from "../../sql/parser.js";
import { replaySchema } from "../replay.js";
import { truncateIdentifier } from "../naming.js";

/** One DDL statement and the declaration it comes from. */
export interface DdlPiece {
  /** One statement, on one line, so that positions inside it stay on the declaring line. */
  sql: string;
  location: Location;
}

/**
 * Where each object of the declared DDL is declared. Keys: `column:<schema>.<table>.<column>`,
 * `index:<schema>.<table>.<name>` (indexes and constraints), `table:<schema>.<table>`.
 */
export type LocationHints = Map<string, Location>;

export interface DeclaredRead {
  declared: DeclaredSchema;
  ddl: DdlPiece[];
  hints: LocationHints;
  problems: InputProblem[];
}

/** `"name"`, doubling any quote inside. Declared names are exact, so they are always quoted. */
export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table reference as the ORM writes it: unqualified in `public`. */
export function tableSql(schema: string, table: string): string {
  return schema === "public" ? quoteName(table) : `${quoteName(schema)}.${quoteName(table)}`;
}

/** The name PostgreSQL keeps for an identifier longer than 63 bytes. */
export function keptName(name: string): string {
  return truncateIdentifier(name);
}

/** Parses the pieces into statements; a piece the parser refuses becomes a problem at its declaring line. */
export function ddlStatements(pieces: DdlPiece[], fileOrder: (file: string) => number, problems: InputProblem[]): Statement[] {
  const statements: Statement[] = [];
  // One parser call for all the pieces (a schema declares hundreds); a refused piece is parsed again for its reason.
  const parsedEach = parseEach(pieces.map((piece) => piece.sql));
  pieces.forEach((piece, i) => {
    const parsed = parsedEach[i];
    if (!parsed || parsed.length !== 1) {
      const refused = parsed ? null : parseSql(piece.sql);
      const why = !refused || refused.ok ? "does not make one statement" : refused.message;
      problems.push({ message: `the declaration here gives SQL PostgreSQL does not accept (${why}): ${piece.sql}`, location: piece.location });
      return;
    }
    statements.push({
      ast: parsed[0].ast,
      sql: piece.sql,
      location: piece.location,
      fileOrder: fileOrder(piece.location.file),
      inExplicitTransaction: false,
      inTransaction: false,
      suppressions: [],
    });
  });
  return statements;
}

/** Replays declared DDL into a schema whose objects point at their declaring lines. */
export function replayDeclared(read: DeclaredRead, problems: InputProblem[]): { schema: Schema; statements: Statement[] } {
  const order = new Map(read.declared.files.map((f, i) => [f, i]));
  const statements = ddlStatements(read.ddl, (file) => order.get(file) ?? 0, problems);
  const schema = replaySchema(statements);
  placeAtDeclarations(schema, read.hints);
  return { schema, statements };
}

/** Moves columns and constraint-backed indexes from their CREATE TABLE's line to the lines that declare them. */
export function placeAtDeclarations(schema: Schema, hints: LocationHints): void {
  for (const table of schema.tables) {
    const key = `${table.schema}.${table.name}`;
    for (const column of table.columns) {
      const at = hints.get(`column:${key}.${column.name}`);
      if (at) column.location = at;
    }
    for (const index of table.indexes) {
      const at = hints.get(`index:${key}.${index.name}`);
      if (at) index.location = at;
    }
    for (const fk of table.foreignKeys) {
      const at = hints.get(`index:${key}.${fk.name}`);
      if (at) fk.location = at;
    }
  }
}
