// A migration that takes ACCESS EXCLUSIVE or SHARE on an existing table without a lock_timeout: while the
// statement waits for its lock behind one long-running query, every later query on the table queues
// behind it, so a change that takes milliseconds can stop the table for as long as that query runs.
// Follows the lock queue described in the "Explicit Locking" chapter (13.3) and the lock_timeout
// setting (19.11.1, "Statement Behavior").
import type { FuncCall, ResTarget, VariableSetStmt } from "@pgsql/types";
import type { Statement } from "../core/types.js";
import { statementLocks } from "./lock-levels.js";
import { finishDrafts, node, TableHistory, type SafetyDraft } from "./migration-scope.js";
import type { Rule, RuleContext } from "./rule.js";
import { nameParts, parsesCleanly, terminate } from "./sql-text.js";

/** The lock modes a waiting statement blocks ordinary reads (ACCESS EXCLUSIVE) or writes (SHARE) with. */
const QUEUEING = new Set(["ACCESS EXCLUSIVE", "SHARE"]);

/** `SET [LOCAL] lock_timeout = ...` or `SELECT set_config('lock_timeout', ...)`, to a value other than 0 / DEFAULT. */
export function setsLockTimeout(statement: Statement): boolean {
  const set = node(statement, "VariableSetStmt") as VariableSetStmt | undefined;
  if (set?.name?.toLowerCase() === "lock_timeout") {
    if (set.kind !== "VAR_SET_VALUE") return false;
    const value = (set.args?.[0] as { A_Const?: { ival?: { ival?: number }; sval?: { sval?: string } } } | undefined)?.A_Const;
    const zero = value?.ival !== undefined ? !value.ival.ival : /^\s*0\s*(ms|s|min)?\s*$/i.test(value?.sval?.sval ?? "");
    // SET LOCAL outside a transaction block has no effect.
    return !zero && !(set.is_local && !statement.inTransaction);
  }
  const select = node(statement, "SelectStmt");
  return (select?.targetList ?? []).some((target) => {
    const call = ((target as { ResTarget?: ResTarget }).ResTarget?.val as { FuncCall?: FuncCall } | undefined)?.FuncCall;
    const name = nameParts((call?.funcname ?? []) as Array<Record<string, any>>).pop();
    const first = (call?.args?.[0] as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval;
    return name === "set_config" && first?.toLowerCase() === "lock_timeout";
  });
}

/** Index builds, drops and reindexes: index-locking reports those, with CONCURRENTLY as the fix. */
function indexStatement(statement: Statement): boolean {
  const ast = statement.ast;
  return Boolean(ast.IndexStmt || ast.ReindexStmt || (ast.DropStmt && ast.DropStmt.removeType === "OBJECT_INDEX"));
}

export const lockTimeout: Rule = {
  id: "lock-timeout",
  description: "A migration that takes ACCESS EXCLUSIVE or SHARE on an existing table without first setting lock_timeout, so a lock queued behind one long query blocks every later query on the table.",
  defaultSeverity: "routine",
  check(context: RuleContext) {
    const history = new TableHistory();
    const drafts: SafetyDraft[] = [];
    /** Files with a lock_timeout in force, and files already reported. */
    const covered = new Set<string>();
    const reported = new Set<string>();
    for (const statement of context.statements) {
      const file = statement.location.file;
      if (setsLockTimeout(statement)) covered.add(file);
      if (!covered.has(file) && !reported.has(file) && !indexStatement(statement)) {
        const lock = statementLocks(statement).find((l) => QUEUEING.has(l.mode) && history.existedBefore(l.table, statement));
        if (lock) {
          reported.add(file);
          const [schema, ...rest] = lock.table.split(".");
          const table = { schema, name: rest.join("."), key: lock.table };
          const set = statement.inTransaction ? "SET LOCAL" : "SET";
          const fix = `${set} lock_timeout = '5s';\n${terminate(statement.sql.trim())}`;
          drafts.push({
            statement,
            table,
            outsideMigrations: !history.knows(table.key),
            columns: [],
            kind: "lock-timeout",
            name: table.name,
            message: `This migration takes ${lock.mode === "SHARE" ? "a SHARE lock" : "an ACCESS EXCLUSIVE lock"} on existing table ${table.name} without setting lock_timeout first: while it waits behind any long-running query on ${table.name}, every later ${lock.mode === "SHARE" ? "write" : "query"} on ${table.name} queues behind it.`,
            summary: `Heavy lock on ${table.name} with no lock_timeout: set one before it, so a blocked migration fails fast instead of stopping the table.`,
            details: [
              `PostgreSQL grants locks in arrival order: a statement waiting for ${lock.mode} holds up every later request that conflicts with it, even ones that would not conflict with the query it waits for. The change itself may take milliseconds; the queue lasts as long as the longest query or open transaction on ${table.name}.`,
              `\`${set} lock_timeout = '5s'\` before the first such statement makes it give up instead (SQLSTATE 55P03); run the migration again later.${statement.inTransaction ? " SET LOCAL keeps the setting to this migration's transaction." : ""}`,
            ],
            ...(parsesCleanly(fix) && !statement.fromDoBlock ? { fix: { sql: fix, placement: "replace" as const } } : {}),
          });
        }
      }
      history.observe(statement);
    }
    return finishDrafts("lock-timeout", context, drafts);
  },
};
