// Where a fix that builds an index goes, as the migration tool will run it. Shared by query-index and fk-index.
import type { Fix, Location, Statement, Table } from "../core/types.js";

const byFile = new WeakMap<Statement[], Map<string, Statement[]>>();

/** The statements of one file, in their order in the list; grouped once per list, as every finding asks. */
function statementsOfFile(statements: Statement[], file: string): Statement[] {
  let groups = byFile.get(statements);
  if (!groups) {
    groups = new Map();
    for (const s of statements) {
      const list = groups.get(s.location.file);
      if (list) list.push(s);
      else groups.set(s.location.file, [s]);
    }
    byFile.set(statements, groups);
  }
  return groups.get(file) ?? [];
}

/**
 * Where the fix goes. A CONCURRENTLY build fails inside a transaction block (SQLSTATE 25001), so
 * when the finding sits in a migration whose statement runs in a DO block or in a transaction (a
 * Drizzle migration, an explicit BEGIN), the fix is a change of its own, with a note saying why.
 */
export function placeFix(statements: Statement[], location: Location, sql: string): { fix: Fix; note?: string } {
  if (!/\bCONCURRENTLY\b/.test(sql)) return { fix: { sql } };
  let at: Statement | undefined;
  for (const s of statementsOfFile(statements, location.file)) if (s.location.line <= location.line && (!at || s.location.line >= at.location.line)) at = s;
  if (!at || !(at.fromDoBlock || at.inTransaction)) return { fix: { sql } };
  const why = at.fromDoBlock ? "a DO block runs as one statement inside a transaction" : "this migration runs inside a transaction";
  return {
    fix: { sql, placement: "separate" },
    note: `Run this as a migration of its own that is not wrapped in a transaction: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and ${why}.`,
  };
}


/**
 * The CREATE TABLE of `table` when a migration that has not run yet creates it (`settled` says which files
 * have run: rules/model.ts isSettledMigrationFile): the table is empty until that migration runs, so an
 * index on it is a plain CREATE INDEX right after the CREATE TABLE in that file. CONCURRENTLY buys nothing
 * there and fails inside the migration's transaction (SQLSTATE 25001). Undefined for a table a settled
 * migration created. A declared schema's files are never settled, as fk-index has always read them.
 */
export function pendingCreation(table: Table, settled: (file: string) => boolean): Location | undefined {
  const file = table.location.file;
  return settled(file) ? undefined : table.location;
}

/** The same statements without CONCURRENTLY: `CREATE INDEX CONCURRENTLY` and `DROP INDEX CONCURRENTLY` become plain builds and drops. */
export function withoutConcurrently(sql: string): string {
  return sql.replace(/\b(CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX)\s+CONCURRENTLY\b/gi, "$1");
}

/**
 * Where an index fix goes, for a finding at `location` (a foreign key, or a call site in code) on `table`.
 * A table that a pending migration creates gets the plain statements after its CREATE TABLE (`at` names
 * that statement when it is not at the finding's own location); otherwise as placeFix says.
 */
export function placeIndexFix(
  statements: Statement[],
  table: Table,
  location: Location,
  sql: string,
  settled: (file: string) => boolean,
): { fix: Fix; note?: string } {
  const created = pendingCreation(table, settled);
  if (created?.file === location.file) return { fix: { sql: withoutConcurrently(sql) } };
  // Elsewhere only into a SQL migration: a declared schema (schema.prisma) is never run as written.
  if (!created || !/\.sql$/i.test(created.file)) return placeFix(statements, location, sql);
  const plain = withoutConcurrently(sql);
  return {
    fix: { sql: plain, placement: "after", at: { file: created.file, line: created.line, column: created.column } },
    note: `${table.name} is created at ${created.file}:${created.line}, which has not run yet: put this right after that CREATE TABLE. The table is still empty when the index builds, so it needs no CONCURRENTLY, which would fail inside the migration's transaction.`,
  };
}
