// Which table lock each migration statement takes: the one table rules consult when they ask what a
// transaction already holds. Follows PostgreSQL's AlterTableGetLockLevel (src/backend/commands/tablecmds.c)
// and the "Explicit Locking" table of the documentation (section 13.3.1).
import type { FuncCall, ResTarget, VariableSetStmt } from "@pgsql/types";
import type { Statement } from "../core/types.js";
import { TableHistory } from "./migration-scope.js";
import { nameParts } from "./sql-text.js";

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  "ACCESS SHARE",
  "ROW SHARE",
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "EXCLUSIVE",
  "ACCESS EXCLUSIVE",
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

export interface TableLock {
  /** `schema.table`, public when the statement does not name a schema. */
  table: string;
  mode: LockMode;
}

/** The stronger of two lock modes. */
export function strongerLock(a: LockMode, b: LockMode): LockMode {
  return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}

function relationKey(relation: Record<string, any> | undefined): string | null {
  if (!relation?.relname) return null;
  return `${relation.schemaname ?? "public"}.${relation.relname}`;
}

/** The lock one ALTER TABLE subcommand takes on its table (tablecmds.c, AlterTableGetLockLevel). */
function alterCommandLock(command: Record<string, any>): LockMode {
  switch (command.subtype) {
    case "AT_AddConstraint": {
      const constraint = command.def?.Constraint;
      // A foreign key takes SHARE ROW EXCLUSIVE on both tables; every other constraint ACCESS EXCLUSIVE.
      return constraint?.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE";
    }
    case "AT_ValidateConstraint":
    case "AT_SetStatistics":
    case "AT_ClusterOn":
    case "AT_DropCluster":
    case "AT_SetRelOptions":
    case "AT_ResetRelOptions":
    case "AT_AttachPartition":
      return "SHARE UPDATE EXCLUSIVE";
    case "AT_EnableTrig":
    case "AT_EnableAlwaysTrig":
    case "AT_EnableReplicaTrig":
    case "AT_EnableTrigAll":
    case "AT_EnableTrigUser":
    case "AT_DisableTrig":
    case "AT_DisableTrigAll":
    case "AT_DisableTrigUser":
      return "SHARE ROW EXCLUSIVE";
    case "AT_DetachPartition":
      return command.def?.PartitionCmd?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    default:
      // ADD/DROP/ALTER COLUMN, SET/DROP NOT NULL, DROP CONSTRAINT, SET DEFAULT, owner, tablespace, ...
      return "ACCESS EXCLUSIVE";
  }
}

/**
 * The table locks a statement takes, strongest per table; empty for statements that lock no existing
 * table (CREATE TABLE, functions, comments) or that this table does not model.
 */
export function statementLocks(statement: Statement): readonly TableLock[] {
  // Most statements are of kinds that lock nothing modelled here: answered without building anything.
  return mayLock(statement.ast) ? computeLocks(statement) : NO_LOCKS;
}

/** The statement kinds computeLocks models: every other statement locks nothing it knows of. */
const LOCKING_NODES = new Set(["AlterTableStmt", "RenameStmt", "IndexStmt", "DropStmt", "TruncateStmt", "CreateTrigStmt", "VacuumStmt", "ClusterStmt", "RefreshMatViewStmt", "LockStmt"]);
const NO_LOCKS: readonly TableLock[] = [];

function mayLock(ast: Statement["ast"]): boolean {
  for (const kind in ast) if (LOCKING_NODES.has(kind)) return true;
  return false;
}

function computeLocks(statement: Statement): readonly TableLock[] {
  const ast = statement.ast;
  const locks = new Map<string, LockMode>();
  const take = (table: string | null, mode: LockMode) => {
    if (table) locks.set(table, locks.has(table) ? strongerLock(locks.get(table)!, mode) : mode);
  };
  if (ast.AlterTableStmt) {
    const node = ast.AlterTableStmt;
    if (!node.objtype || node.objtype === "OBJECT_TABLE") {
      const table = relationKey(node.relation);
      for (const cmd of node.cmds ?? []) {
        const command = cmd.AlterTableCmd ?? {};
        take(table, alterCommandLock(command));
        const constraint = command.subtype === "AT_AddConstraint" ? command.def?.Constraint : undefined;
        if (constraint?.contype === "CONSTR_FOREIGN") take(relationKey(constraint.pktable), "SHARE ROW EXCLUSIVE");
      }
    }
  } else if (ast.RenameStmt) {
    const node = ast.RenameStmt;
    // Renaming an index takes SHARE UPDATE EXCLUSIVE (PostgreSQL 12+), on the index alone.
    if (["OBJECT_TABLE", "OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"].includes(node.renameType)) take(relationKey(node.relation), "ACCESS EXCLUSIVE");
  } else if (ast.IndexStmt) {
    take(relationKey(ast.IndexStmt.relation), ast.IndexStmt.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE");
  } else if (ast.DropStmt && ast.DropStmt.removeType === "OBJECT_TABLE") {
    for (const object of ast.DropStmt.objects ?? []) {
      const parts = nameParts(object.List?.items ?? []);
      if (parts.length > 0) take(`${parts.length > 1 ? parts[parts.length - 2] : "public"}.${parts[parts.length - 1]}`, "ACCESS EXCLUSIVE");
    }
  } else if (ast.TruncateStmt) {
    for (const relation of ast.TruncateStmt.relations ?? []) take(relationKey(relation.RangeVar), "ACCESS EXCLUSIVE");
  } else if (ast.CreateTrigStmt) {
    take(relationKey(ast.CreateTrigStmt.relation), "SHARE ROW EXCLUSIVE");
  } else if (ast.VacuumStmt?.is_vacuumcmd && (ast.VacuumStmt.options ?? []).some((o: Record<string, any>) => o.DefElem?.defname === "full")) {
    // VACUUM FULL rewrites each table under ACCESS EXCLUSIVE (cluster.c); plain VACUUM takes SHARE UPDATE EXCLUSIVE.
    for (const relation of ast.VacuumStmt.rels ?? []) take(relationKey(relation.VacuumRelation?.relation), "ACCESS EXCLUSIVE");
  } else if (ast.ClusterStmt) {
    take(relationKey(ast.ClusterStmt.relation), "ACCESS EXCLUSIVE");
  } else if (ast.RefreshMatViewStmt) {
    // matview.c: EXCLUSIVE for CONCURRENTLY (reads continue), else ACCESS EXCLUSIVE.
    take(relationKey(ast.RefreshMatViewStmt.relation), ast.RefreshMatViewStmt.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE");
  } else if (ast.LockStmt) {
    const mode = LOCK_MODES[(ast.LockStmt.mode ?? 8) - 1] ?? "ACCESS EXCLUSIVE";
    for (const relation of ast.LockStmt.relations ?? []) take(relationKey(relation.RangeVar), mode);
  }
  return [...locks].map(([table, mode]) => ({ table, mode }));
}

/** A statement that holds (or will take) ACCESS EXCLUSIVE on a table, and its command for messages ("ALTER TABLE"). */
export interface HeldLock {
  statement: Statement;
  what: string;
}

/** A HeldLock whose command is read from the statement's text only when a message asks for it: most held locks are never named. */
export function heldLock(statement: Statement): HeldLock {
  return {
    statement,
    get what() {
      return commandName(statement);
    },
  };
}

/** The first two words of a statement, upper case: "ALTER TABLE", "DROP INDEX". */
export function commandName(statement: Statement): string {
  const line = statement.sql.replace(/--[^\n]*\n/g, " ").trim().split(/\s+/).slice(0, 2).join(" ").toUpperCase();
  return line.replace(/[^A-Z ]/g, "");
}

/**
 * A later statement of `statement`'s transaction (same file, no COMMIT or ROLLBACK between) that takes
 * ACCESS EXCLUSIVE on `tableKey` (`schema.table`): the transaction then blocks the table whatever comes first.
 */
export function laterAccessExclusive(statements: Statement[], statement: Statement, tableKey: string): HeldLock | undefined {
  if (!statement.inTransaction) return undefined;
  let after = false;
  for (const s of statements) {
    if (s === statement) {
      after = true;
      continue;
    }
    if (!after || s.location.file !== statement.location.file) continue;
    const kind: string | undefined = s.ast.TransactionStmt?.kind;
    if (!s.inTransaction || kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK" || kind === "TRANS_STMT_PREPARE") return undefined;
    if (statementLocks(s).some((lock) => lock.mode === "ACCESS EXCLUSIVE" && lock.table === tableKey)) return { statement: s, what: commandName(s) };
  }
  return undefined;
}

/**
 * For a statement that commits on its own (no transaction around it): another statement of the same
 * migration file, before or after it, that takes ACCESS EXCLUSIVE on `tableKey`. The migration then
 * locks the table that way during the same deploy whatever this statement does.
 */
export function sameFileAccessExclusive(statements: Statement[], statement: Statement, tableKey: string): HeldLock | undefined {
  if (statement.inTransaction) return undefined;
  for (const s of statements) {
    if (s === statement || s.fromDoBlock || s.location.file !== statement.location.file) continue;
    if (statementLocks(s).some((lock) => lock.mode === "ACCESS EXCLUSIVE" && lock.table === tableKey)) return { statement: s, what: commandName(s) };
  }
  return undefined;
}

/** `SET [LOCAL] lock_timeout = ...` or `SELECT set_config('lock_timeout', ...)`, to a value other than 0 / DEFAULT. */
export function setsLockTimeout(statement: Statement): boolean {
  const set = statement.ast.VariableSetStmt as VariableSetStmt | undefined;
  if (set?.name?.toLowerCase() === "lock_timeout") {
    if (set.kind !== "VAR_SET_VALUE") return false;
    const value = (set.args?.[0] as { A_Const?: { ival?: { ival?: number }; sval?: { sval?: string } } } | undefined)?.A_Const;
    const zero = value?.ival !== undefined ? !value.ival.ival : /^\s*0\s*(ms|s|min)?\s*$/i.test(value?.sval?.sval ?? "");
    // SET LOCAL outside a transaction block has no effect.
    return !zero && !(set.is_local && !statement.inTransaction);
  }
  const select = statement.ast.SelectStmt as { targetList?: unknown[] } | undefined;
  return (select?.targetList ?? []).some((target) => {
    const call = ((target as { ResTarget?: ResTarget }).ResTarget?.val as { FuncCall?: FuncCall } | undefined)?.FuncCall;
    const name = nameParts((call?.funcname ?? []) as Array<Record<string, any>>).pop();
    const first = (call?.args?.[0] as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval;
    return name === "set_config" && first?.toLowerCase() === "lock_timeout";
  });
}

/** How a migration file bounds its lock waits: where it sets lock_timeout, and the statement lock-timeout reports it at. */
export interface TimeoutCoverage {
  /** The first statement that sets lock_timeout. */
  setAt?: Statement;
  /**
   * The first statement other than an index build, drop or reindex that queues for ACCESS EXCLUSIVE or SHARE on a
   * table that existed before the file, before any lock_timeout is set: the lock-timeout rule reports such a file.
   */
  reportedAt?: Statement;
}

/** Per migration file, its lock_timeout coverage (see TimeoutCoverage), replaying `statements` in apply order. */
export function timeoutCoverage(statements: Statement[]): Map<string, TimeoutCoverage> {
  const history = new TableHistory(statements);
  const out = new Map<string, TimeoutCoverage>();
  for (const statement of statements) {
    const file = statement.location.file;
    let coverage = out.get(file);
    if (!coverage) out.set(file, (coverage = {}));
    if (setsLockTimeout(statement)) coverage.setAt ??= statement;
    const ast = statement.ast;
    const index = Boolean(ast.IndexStmt || ast.ReindexStmt || (ast.DropStmt && ast.DropStmt.removeType === "OBJECT_INDEX"));
    if (!coverage.setAt && !coverage.reportedAt && !index) {
      const queued = statementLocks(statement).some((l) => (l.mode === "ACCESS EXCLUSIVE" || l.mode === "SHARE") && history.existedBefore(l.table, statement));
      if (queued) coverage.reportedAt = statement;
    }
    history.observe(statement);
  }
  return out;
}
