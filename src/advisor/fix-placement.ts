// Where a fix that builds an index goes, as the migration tool will run it. Shared by query-index and fk-index.
import type { Fix, Location, Statement } from "../core/types.js";

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

