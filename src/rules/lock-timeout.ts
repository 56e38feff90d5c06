// A migration that takes ACCESS EXCLUSIVE or SHARE on an existing table without a lock_timeout: while the
// statement waits for its lock behind one long-running query, every later query on the table queues
// behind it, so a change that takes milliseconds can stop the table for as long as that query runs.
// Follows the lock queue described in the "Explicit Locking" chapter (13.3) and the lock_timeout
// setting (19.11.1, "Statement Behavior").
import type { Statement } from "../core/types.js";
import { setsLockTimeout, statementLocks, type TableLock } from "./lock-levels.js";
import { finishDrafts, TableHistory, type SafetyDraft } from "./migration-scope.js";
import { isSettledMigrationFile } from "./model.js";
import type { Rule, RuleContext } from "./rule.js";
import { nameParts, parsesCleanly, terminate } from "./sql-text.js";

/** The lock modes a waiting statement blocks ordinary reads (ACCESS EXCLUSIVE) or writes (SHARE) with. */
const QUEUEING = new Set(["ACCESS EXCLUSIVE", "SHARE"]);

export { setsLockTimeout };

/** Index builds, drops and reindexes: index-locking reports those, with CONCURRENTLY as the fix. */
function indexStatement(statement: Statement): boolean {
  const ast = statement.ast;
  return Boolean(ast.IndexStmt || ast.ReindexStmt || (ast.DropStmt && ast.DropStmt.removeType === "OBJECT_INDEX"));
}

function qualified(relation: { schemaname?: string; relname?: string } | undefined): string | null {
  return relation?.relname ? `${relation.schemaname ?? "public"}.${relation.relname}` : null;
}

/**
 * The table lock an index statement queues for, which statementLocks leaves to index-locking: CREATE INDEX takes
 * SHARE; DROP INDEX ACCESS EXCLUSIVE on the index's table; REINDEX SHARE on the table (and ACCESS EXCLUSIVE on the
 * index). CONCURRENTLY variants take SHARE UPDATE EXCLUSIVE, which queues no reads or writes. `indexTables` maps
 * `schema.index` to the table an earlier CREATE INDEX put it on. Source: "Explicit Locking" (13.3.1), DROP INDEX, REINDEX.
 */
function indexLock(statement: Statement, indexTables: Map<string, string>): TableLock | undefined {
  const ast = statement.ast;
  if (ast.IndexStmt) {
    const table = qualified(ast.IndexStmt.relation);
    return table && !ast.IndexStmt.concurrent ? { table, mode: "SHARE" } : undefined;
  }
  if (ast.ReindexStmt) {
    const reindex = ast.ReindexStmt;
    if ((reindex.params ?? []).some((p: Record<string, any>) => p.DefElem?.defname === "concurrently")) return undefined;
    const target = qualified(reindex.relation);
    const table = reindex.kind === "REINDEX_OBJECT_INDEX" ? (target ? indexTables.get(target) : undefined) : reindex.kind === "REINDEX_OBJECT_TABLE" ? target : null;
    return table ? { table, mode: "SHARE" } : undefined;
  }
  if (ast.DropStmt?.removeType === "OBJECT_INDEX" && !ast.DropStmt.concurrent) {
    for (const object of ast.DropStmt.objects ?? []) {
      const parts = nameParts(object.List?.items ?? []);
      const table = indexTables.get(`${parts.length > 1 ? parts[parts.length - 2] : "public"}.${parts[parts.length - 1]}`);
      if (table) return { table, mode: "ACCESS EXCLUSIVE" };
    }
  }
  return undefined;
}

/** Keeps `indexTables` (see indexLock) up to date with CREATE INDEX, ALTER INDEX ... RENAME and DROP INDEX. */
function trackIndexes(statement: Statement, indexTables: Map<string, string>): void {
  const ast = statement.ast;
  if (ast.IndexStmt?.idxname) {
    const table = qualified(ast.IndexStmt.relation);
    if (table) indexTables.set(`${ast.IndexStmt.relation.schemaname ?? "public"}.${ast.IndexStmt.idxname}`, table);
  } else if (ast.RenameStmt?.renameType === "OBJECT_INDEX" && ast.RenameStmt.newname) {
    const from = qualified(ast.RenameStmt.relation);
    const table = from ? indexTables.get(from) : undefined;
    if (from && table) {
      indexTables.delete(from);
      indexTables.set(`${ast.RenameStmt.relation.schemaname ?? "public"}.${ast.RenameStmt.newname}`, table);
    }
  } else if (ast.DropStmt?.removeType === "OBJECT_INDEX") {
    for (const object of ast.DropStmt.objects ?? []) {
      const parts = nameParts(object.List?.items ?? []);
      indexTables.delete(`${parts.length > 1 ? parts[parts.length - 2] : "public"}.${parts[parts.length - 1]}`);
    }
  }
}

function lockPhrase(mode: string): string {
  return mode === "SHARE" ? "a SHARE lock" : "an ACCESS EXCLUSIVE lock";
}

/** Tools that send a migration file to PostgreSQL as one script (frameworks/prisma.ts, golang-migrate's postgres driver). */
const ONE_SCRIPT = new Set<string>(["prisma", "golang-migrate"]);

export const lockTimeout: Rule = {
  id: "lock-timeout",
  description: "A migration that takes ACCESS EXCLUSIVE or SHARE on an existing table without first setting lock_timeout, so a lock queued behind one long query blocks every later query on the table.",
  defaultSeverity: "routine",
  check(context: RuleContext) {
    const history = new TableHistory(context.statements);
    const drafts: SafetyDraft[] = [];
    /** Files with a lock_timeout in force, and files already reported. */
    const covered = new Set<string>();
    const reported = new Set<string>();
    /** Per file, the first statement that queues for a lock on an existing table, index statements included: the SET goes before it. */
    const firstQueued = new Map<string, { statement: Statement; lock: TableLock }>();
    const indexTables = new Map<string, string>();
    // indexLock reads indexTables only for a REINDEX or DROP INDEX: without one, it need not be kept.
    const readsIndexTables = context.statements.some((s) => s.ast.ReindexStmt !== undefined || s.ast.DropStmt?.removeType === "OBJECT_INDEX");
    for (const statement of context.statements) {
      const file = statement.location.file;
      if (setsLockTimeout(statement)) covered.add(file);
      if (!covered.has(file) && !reported.has(file)) {
        const index = indexStatement(statement);
        const lock = index
          ? indexLock(statement, indexTables)
          : statementLocks(statement).find((l) => QUEUEING.has(l.mode) && history.existedBefore(l.table, statement));
        if (lock && index && !history.existedBefore(lock.table, statement)) {
          // An index on a table this migration creates queues behind nothing.
        } else if (lock && !firstQueued.has(file)) firstQueued.set(file, { statement, lock });
        // Index builds and drops alone are index-locking's: this rule reports a file once another statement queues.
        if (lock && !index) {
          reported.add(file);
          const [schema, ...rest] = lock.table.split(".");
          const table = { schema, name: rest.join("."), key: lock.table };
          const first = firstQueued.get(file)!;
          const earlier = first.statement !== statement ? first : undefined;
          const at = first.statement;
          // A tool that sends the whole file as one script runs the SET and the statement as one implicit transaction
          // once the fix has put them together: SET LOCAL then ends with it, where a session SET would stay on the
          // tool's connection for the migrations after it.
          const oneScript = !at.inTransaction && ONE_SCRIPT.has(context.set.framework);
          const set = at.inTransaction || oneScript ? "SET LOCAL" : "SET";
          // finishDrafts drops the fix of a settled file: neither written nor parsed for one.
          const fixable = !at.fromDoBlock && !isSettledMigrationFile(context.set, at.location.file);
          const fix = fixable ? `${set} lock_timeout = '5s';\n${terminate(at.sql.trim())}` : "";
          const firstName = first.lock.table.slice(first.lock.table.indexOf(".") + 1);
          drafts.push({
            statement: at,
            table,
            outsideMigrations: !history.knows(table.key),
            columns: [],
            kind: "lock-timeout",
            name: table.name,
            message: earlier
              ? `This migration takes ${lockPhrase(lock.mode)} on existing table ${table.name} (line ${statement.location.line}) without setting lock_timeout first, and this statement already queues for ${lockPhrase(first.lock.mode)} on ${firstName}: while either waits behind a long-running query, every later query on the table queues behind it.`
              : `This migration takes ${lockPhrase(lock.mode)} on existing table ${table.name} without setting lock_timeout first: while it waits behind any long-running query on ${table.name}, every later ${lock.mode === "SHARE" ? "write" : "query"} on ${table.name} queues behind it.`,
            summary: `Heavy lock on ${table.name} with no lock_timeout: set one before it, so a blocked migration fails fast instead of stopping the table.`,
            details: [
              `PostgreSQL grants locks in arrival order: a statement waiting for ${lock.mode} holds up every later request that conflicts with it, even ones that would not conflict with the query it waits for. The change itself may take milliseconds; the queue lasts as long as the longest query or open transaction on ${table.name}.`,
              ...(earlier
                ? [
                    `The index statement at line ${at.location.line} queues for ${lockPhrase(first.lock.mode)} on ${firstName} before that (index-locking reports it too), so the setting goes before it, the first statement of this migration that waits for a lock.`,
                  ]
                : []),
              `\`${set} lock_timeout = '5s'\` before the first such statement makes it give up instead (SQLSTATE 55P03); run the migration again later.${at.inTransaction ? " SET LOCAL keeps the setting to this migration's transaction." : oneScript ? " With the SET the file holds two statements, which PostgreSQL runs as one implicit transaction; SET LOCAL keeps the setting to it, where a session SET would stay on the connection for later migrations." : ""}`,
            ],
            ...(fixable && parsesCleanly(fix) ? { fix: { sql: fix, placement: "replace" as const } } : {}),
          });
        }
      }
      if (readsIndexTables) trackIndexes(statement, indexTables);
      history.observe(statement);
    }
    return finishDrafts("lock-timeout", context, drafts);
  },
};
