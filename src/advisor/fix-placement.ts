// Where a fix that builds an index goes, as the migration tool will run it. Shared by query-index and fk-index.
import type { Fix, Location, MigrationSet, Statement, Table } from "../core/types.js";
import { SPLITTER_UNREADABLE } from "../migrations/frameworks/prisma.js";
import { parseSql } from "../sql/parser.js";

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

/**
 * The line a fix writes between a statement and a CONCURRENTLY build that must not share its migration: a migration
 * file of several statements runs as one transaction (Prisma Migrate, the Supabase CLI's pipeline, drizzle-kit), and
 * CREATE INDEX CONCURRENTLY refuses to run in one (SQLSTATE 25001, PreventInTransactionBlock in xact.c).
 */
export const CONCURRENT_BUILD_APART = "-- A later migration of its own (CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and a migration of several statements runs as one):";

/** The fix's statements as one migration: without the CONCURRENT_BUILD_APART line, for statements that lose CONCURRENTLY. */
export function withoutApartLine(sql: string): string {
  return sql
    .split("\n")
    .filter((line) => line !== CONCURRENT_BUILD_APART)
    .join("\n");
}

/**
 * The same statements without CONCURRENTLY: `CREATE INDEX CONCURRENTLY` and `DROP INDEX CONCURRENTLY` become plain
 * builds and drops, which may then share a migration (the CONCURRENT_BUILD_APART line goes).
 */
export function withoutConcurrently(sql: string): string {
  return withoutApartLine(sql).replace(/\b(CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX)\s+CONCURRENTLY\b/gi, "$1");
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

/**
 * The file's statements as they would stand with `fixSql` in place of `target`: the texts that the
 * migration tool would send. DO-block contents are not statements of the file; the block is.
 */
export function fileAfterReplace(statements: Statement[], target: Statement, fixSql: string): string[] {
  const fix = splitStatements(fixSql);
  const out: string[] = [];
  for (const s of statementsOfFile(statements, target.location.file)) {
    if (s.fromDoBlock) continue;
    if (s === target) out.push(...fix);
    else out.push(s.sql);
  }
  return out;
}

function splitStatements(sql: string): string[] {
  const parsed = parseSql(sql);
  if (parsed.ok) return parsed.statements.map((s) => sql.slice(s.start, s.end));
  return sql.split(/;\s*\n/).filter((part) => part.trim().length > 0);
}

/**
 * Whether the file runs as one transaction once it holds `texts`, as the tool sends it: always when the
 * tool wraps it (runsInTransaction); for a tool that sends the file as one query string (Prisma Migrate
 * before 7.4, golang-migrate's postgres driver, a dbmate `transaction:false` section) as soon as it holds two
 * statements, since PostgreSQL runs a multi-statement query as one implicit transaction (PostgreSQL
 * documentation, "Multiple Statements in a Simple Query"); for Prisma Migrate 7.4 and later, which sends
 * statements one at a time, when two or more are there and its splitter cannot read one of them.
 */
export function runsAsOneTransaction(set: MigrationSet, file: string, texts: string[]): boolean {
  const entry = set.files.find((f) => f.path === file);
  if (!entry) return false;
  if (entry.runsInTransaction && entry.sends === undefined && set.framework !== "golang-migrate") return true;
  const sends = entry.sends ?? (set.framework === "golang-migrate" || (set.framework === "dbmate" && !entry.runsInTransaction) ? "script" : undefined);
  if (sends === "script") return texts.length > 1;
  if (sends === "split") return texts.length > 1 && texts.some((t) => SPLITTER_UNREADABLE.test(t));
  return entry.runsInTransaction;
}

/**
 * Why a file that the tool sends as one script runs as one transaction, as a clause, for a fix that must
 * not share a transaction with the rest of the file; null for other tools.
 */
export function scriptWhy(set: MigrationSet, file: string): string | null {
  const entry = set.files.find((f) => f.path === file);
  if (entry?.sends === "script") {
    return "this repository's Prisma Migrate (before 7.4) sends a migration.sql as one script, and PostgreSQL runs a script of several statements as one implicit transaction";
  }
  if (entry?.sends === "split") {
    return "Prisma Migrate 7.4 and later send a migration.sql one statement at a time only when their SQL parser reads every statement; it does not read DROP INDEX CONCURRENTLY, so such a file goes as one script, which PostgreSQL runs as one implicit transaction";
  }
  if (set.framework === "golang-migrate") return "golang-migrate's postgres driver sends the whole file as one query, which PostgreSQL runs as one implicit transaction";
  if (set.framework === "dbmate") return "dbmate sends a `transaction:false` section as one query, which PostgreSQL runs as one implicit transaction";
  return null;
}

/**
 * A CONCURRENTLY fix that would turn a file running statement by statement into one implicit transaction: the
 * tool sends the file as one query string once it holds several statements, or its splitter cannot read the fix.
 */
export function scriptedByFix(statement: Statement, fix: string, context: { set: MigrationSet; statements: Statement[] }): boolean {
  if (!/\bCONCURRENTLY\b/i.test(fix) || statement.inTransaction || statement.fromDoBlock) return false;
  return runsAsOneTransaction(context.set, statement.location.file, fileAfterReplace(context.statements, statement, fix));
}

/** What a finding says about where its CONCURRENTLY fix runs, when the tool's way of sending the file decides it. */
export function scriptNotes(statement: Statement, fix: string, context: { set: MigrationSet; statements: Statement[] }, inPlace: boolean): { details: string[]; fix?: string } {
  if (!/\bCONCURRENTLY\b/i.test(fix)) return { details: [] };
  const file = statement.location.file;
  if (scriptedByFix(statement, fix, context)) {
    const why = scriptWhy(context.set, file) ?? "the tool sends this file as one query, which PostgreSQL runs as one implicit transaction";
    const prisma = context.set.framework === "prisma";
    const statements = fix.split(/\n(?=(?:CREATE|DROP|REINDEX|ALTER)\b)/);
    return {
      details: [
        `CONCURRENTLY cannot run inside a transaction block, and ${why}: written in place of this statement, it would fail with SQLSTATE 25001. Take the statement out of this file and put ${statements.length > 1 ? "each CONCURRENTLY statement" : "it"} alone in a ${prisma ? "migration.sql" : "migration"} of its own${prisma ? " (`prisma migrate dev --create-only`, then leave only that statement in the file)" : ""}: a file of one statement runs outside a transaction.`,
      ],
      ...(statements.length > 1 ? { fix: statements.map((t) => `-- A migration of its own:\n${t}`).join("\n") } : {}),
    };
  }
  const entry = context.set.files.find((f) => f.path === file);
  if (inPlace && entry?.sends === "split") {
    return {
      details: [
        `Prisma Migrate 7.4 and later, which this repository uses, run the statements of a migration.sql one at a time, each committed on its own, so CONCURRENTLY works in place here: no earlier statement of this file still holds a lock when it starts.`,
      ],
    };
  }
  return { details: [] };
}

