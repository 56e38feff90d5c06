// index-locking's draft shape and the helpers that place its fixes, and the drafts for statements that can
// find nothing, because the column they read was added earlier in the same migration without a default
// (every value NULL) or the referenced table is new: PostgreSQL still reads the table once, so these are
// NOTED with the one cost they have.
import type { Severity, Statement } from "../core/types.js";
import { scriptedByFix } from "../advisor/fix-placement.js";
import type { HeldLock } from "./lock-levels.js";
import type { RuleContext } from "./rule.js";
import { transactionAdvice } from "./transactions.js";

/** An index-locking finding before severity, settled-file handling and fix placement are applied. */
export interface LockingDraft {
  statement: Statement;
  table: { schema: string; name: string } | null;
  columns: string[];
  kind: string;
  name: string;
  message: string;
  /** The reviewer's first line: what the statement blocks, and the change that avoids it. */
  summary: string;
  details: string[];
  fix?: string;
  /** The fix goes in a migration of its own rather than in place of the statement. */
  separate?: boolean;
  severity: Severity;
}

/** A CONCURRENTLY fix written where a DO block or a transaction that certainly wraps it would make it fail. */
export function failsInPlace(d: LockingDraft, context: RuleContext): boolean {
  if (!/\bCONCURRENTLY\b/i.test(d.fix ?? "")) return false;
  return d.statement.fromDoBlock === true || transactionAdvice(d.statement, context.set.framework)?.certainFailure === true || scriptedByFix(d.statement, d.fix!, context);
}

/**
 * The fix is the located statement rewritten, and can stand in for it, unless the statement is an
 * ALTER TABLE that does more than the one subcommand the fix rewrites.
 */
export function replacesWholeStatement(d: LockingDraft): boolean {
  const alter = d.statement.ast.AlterTableStmt;
  return !alter || (alter.cmds?.length ?? 0) <= 1;
}

const under = (held: HeldLock | undefined) => (held ? `, under the ACCESS EXCLUSIVE lock the ${held.what} at line ${held.statement.location.line} holds` : "");

/**
 * ADD FOREIGN KEY whose validation finds nothing: its columns are all NULL (`addedAt` is the bare ADD COLUMN),
 * or `referenced` is created by this migration. RI_Initial_Check (ri_triggers.c) is an outer join that keeps
 * non-NULL keys only: one sequential scan of the child, no lookups.
 */
export function nullOnlyForeignKeyDraft(input: {
  statement: Statement;
  rel: { schema: string; name: string };
  columns: string[];
  referenced: { name: string } | null;
  name: string;
  held: HeldLock | undefined;
  addedAt: Statement | undefined;
}): LockingDraft {
  const { statement, rel, columns, referenced, name, held, addedAt } = input;
  const cols = columns.join(", ");
  const reason = addedAt
    ? `${cols} ${columns.length > 1 ? "were" : "was"} added at line ${addedAt.location.line} of this migration without a default, so every value is NULL`
    : `${referenced!.name} is created in this migration, so it is empty and the constraint can only pass if every ${cols} in ${rel.name} is NULL`;
  const parent = referenced?.name ?? "the referenced table";
  return {
    statement,
    table: { schema: rel.schema, name: rel.name },
    columns,
    kind: "add-foreign-key",
    name,
    severity: "noted",
    message: `Adding foreign key ${name} to ${rel.name} validates it, but ${reason}: no row can fail and no row is looked up in ${parent}. PostgreSQL still reads ${rel.name} once${under(held)}.`,
    summary: `ADD FOREIGN KEY ${name} validates columns that are all NULL: one read of ${rel.name}, no lookups${addedAt ? "; REFERENCES in the ADD COLUMN skips even that" : ""}.`,
    details: [
      `NOTED: the validation query is an outer join of ${rel.name} to ${parent} that keeps only non-NULL keys; with none, it is one sequential scan of ${rel.name}.${held ? ` The migration's transaction already holds ACCESS EXCLUSIVE on ${rel.name}, so the scan lengthens that lock by one pass over ${rel.name}.` : ""}`,
      ...(addedAt
        ? [`Writing the reference in the ADD COLUMN itself (\`ADD COLUMN ... REFERENCES ${referenced?.name ?? "..."} (...)\`) skips the scan entirely: PostgreSQL knows a new column without a default holds only NULLs. Migration tools that emit the foreign key as a separate statement (Prisma Migrate does) cost the one read.`]
        : []),
    ],
  };
}

/**
 * CREATE INDEX whose partial predicate needs `column` set, where `column` was added at `addedAt` without a
 * default: the index starts empty. index_build (catalog/index.c) evaluates the predicate on each heap tuple
 * and none passes, so the cost is one sequential read and nothing is sorted or written.
 */
export function emptyPartialIndexDraft(input: {
  statement: Statement;
  table: { schema: string; name: string };
  columns: string[];
  name: string;
  what: string;
  column: string;
  addedAt: Statement;
  held: HeldLock | undefined;
}): LockingDraft {
  const { statement, table, columns, name, what, column, addedAt, held } = input;
  const lock = held ? under(held) : ", under a SHARE lock that holds writes for that one read";
  return {
    statement,
    table,
    columns,
    kind: "create-index",
    name,
    severity: "noted",
    message: `${what}${name ? ` ${name}` : ""} on ${table.name} is partial, and its predicate needs ${column} set, but ${column} was added at line ${addedAt.location.line} of this migration without a default, so every value is NULL: the index starts empty. PostgreSQL still reads ${table.name} once${lock}.`,
    summary: `${what} on ${table.name} starts empty (${column} is all NULL): one read of ${table.name}, nothing to sort.`,
    details: [
      `NOTED: the build scans ${table.name} and checks the predicate on each row; none passes, so nothing is sorted or written. The cost is one sequential read of ${table.name}, the same read an ADD FOREIGN KEY on the new column makes.`,
    ],
  };
}
