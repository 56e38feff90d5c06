// How long a DROP INDEX's lock matters: the drop itself takes milliseconds, and what costs is the wait for
// its ACCESS EXCLUSIVE lock behind running queries, while later queries queue behind it ("Explicit Locking",
// 13.3.1; DROP INDEX reference page). Weighs that wait by what the audit knows of the table's traffic
// (table-evidence.ts) and says what bounds it (lock_timeout, 19.11.1).
import type { Severity, Statement, Table } from "../core/types.js";
import { commandName, type TimeoutCoverage } from "./lock-levels.js";
import { findTable, isSettledMigrationFile } from "./model.js";
import type { RuleContext } from "./rule.js";
import { codeRuns, growth, noGrowthSeen, patternsOn } from "./table-evidence.js";

/** A DROP INDEX's severity, and the paragraphs that say why (empty when the size-based severity stands unexplained). */
export interface DropWeight {
  severity: Severity;
  details: string[];
}

/**
 * Evidence that queries reach the table often enough for a queued ACCESS EXCLUSIVE lock to stop many of them:
 * the table grows (table-evidence.ts growth()), or a growing table references it, so each insert there checks
 * a key in it under a ROW SHARE lock, which waits behind the drop (ri_triggers.c: SELECT ... FOR KEY SHARE).
 */
function traffic(context: RuleContext, model: Table): string | null {
  const grows = growth(context, model);
  if (grows) return grows.text;
  for (const child of context.schema.tables) {
    if (child === model) continue;
    const fk = child.foreignKeys.find((f) => f.enforced !== false && f.references.table === model.name && f.references.schema === model.schema);
    const childGrows = fk ? growth(context, child) : null;
    if (fk && childGrows) {
      return `${childGrows.text}, and each insert into ${child.name} checks its ${fk.columns.join(", ")} against ${model.name} under a ROW SHARE lock, which waits behind the drop's ACCESS EXCLUSIVE`;
    }
  }
  return null;
}

/**
 * DROP INDEX runs in milliseconds: what costs is the wait for its ACCESS EXCLUSIVE lock, during which every query
 * on the table queues. NOTED when nothing shows that queue would be long (no size hint, no growth, no growing
 * table referencing it) and the audit saw the code insert into the table, so the absence says something; else
 * the size-based severity (`severity`, from size hints and lookup shape), with the evidence named.
 */
export function weighDrop(
  context: RuleContext,
  table: { schema: string; name: string } | null,
  statement: Statement,
  severity: Severity,
  timeouts: () => Map<string, TimeoutCoverage>,
): DropWeight {
  const model = table ? findTable(context.schema, table.schema, table.name) : undefined;
  // A migration that already ran is NOTED for the record anyway (see check()): no advice to edit it.
  if (!model || severity !== "routine" || isSettledMigrationFile(context.set, statement.location.file)) return { severity, details: [] };
  const busy = traffic(context, model);
  if (busy) return { severity, details: [`ROUTINE because ${busy}: queries on ${table!.name} arrive steadily, and each one that arrives while the drop waits queues behind it.`] };
  if (!codeRuns(context, ["insert", "upsert"])) return { severity, details: [] };
  // Rows the audit never sees inserted come from code it could not read: their number is unknown, not small.
  if (!patternsOn(context, model).some((p) => p.kind === "insert" || p.kind === "upsert")) {
    return { severity, details: [`ROUTINE because the code the audit read never inserts into ${table!.name}, so what fills it, and how large it is, is unknown.`] };
  }
  return {
    severity: "noted",
    details: [
      `NOTED because nothing shows ${table!.name} large or busy: ${noGrowthSeen(context, model)}. DROP INDEX itself takes milliseconds; the only cost is the wait for its ACCESS EXCLUSIVE lock behind running queries on ${table!.name}, during which later queries queue behind it.`,
      timeoutNote(statement, timeouts()),
    ],
  };
}

/** What bounds the wait for a DROP INDEX's lock in this migration: a lock_timeout it sets, the lock-timeout finding on it, or the SET to add. */
function timeoutNote(statement: Statement, timeouts: Map<string, TimeoutCoverage>): string {
  const coverage = timeouts.get(statement.location.file);
  const setAt = coverage?.setAt;
  if (setAt && setAt.location.line < statement.location.line) {
    return `This migration sets lock_timeout at line ${setAt.location.line}, so a drop that waits too long gives up (SQLSTATE 55P03) instead of holding up queries.`;
  }
  if (coverage?.reportedAt && !setAt) {
    return `The lock-timeout finding on this migration, for the ${commandName(coverage.reportedAt)} at line ${coverage.reportedAt.location.line}, sets lock_timeout before the first statement that waits for a lock, which bounds this wait too.`;
  }
  const set = statement.inTransaction ? "SET LOCAL" : "SET";
  return `To bound that wait, put \`${set} lock_timeout = '5s';\` at the top of this migration: a drop that waits longer fails (SQLSTATE 55P03) instead of holding up queries, and the migration can run again later.`;
}
