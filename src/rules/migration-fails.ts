// A migration statement PostgreSQL refuses when the migrations are replayed into a real server (the
// verify stage, `--verify`): a deploy of these migrations would stop at that statement. The finding
// carries PostgreSQL's own message. Statements that fail only because the verifier lacks something the
// platform provides (an extension PGlite does not ship, a role made outside the migrations) are not
// reported, nor statements that fail only because an earlier one did, nor a statement the static replay
// already reported at the same place (parse-error).
import type { FindingDraft } from "../core/types.js";
import type { Rule } from "./rule.js";

/** Line and column numbers inside a message would change the finding's id when lines move. */
function withoutPositions(message: string): string {
  return message.replace(/\b(line|column|offset|position|at character)\s+\d+/gi, "$1 N");
}

export const migrationFails: Rule = {
  id: "migration-fails",
  description: "With --verify: a migration statement PostgreSQL 18 refuses when the migrations are replayed in order, with the server's own message.",
  defaultSeverity: "important",
  check(context) {
    const reported = new Set(context.problems.map((p) => `${p.location.file}:${p.location.line}`));
    const out: FindingDraft[] = [];
    for (const failure of context.replayFailures ?? []) {
      const { location } = failure.statement;
      if (reported.has(`${location.file}:${location.line}`)) continue;
      const kind = Object.keys(failure.statement.ast)[0] ?? "statement";
      out.push({
        rule: "migration-fails",
        severity: "important",
        table: failure.table ?? "",
        columns: [],
        message: `PostgreSQL refuses this statement: ${failure.message}.`,
        summary: `This migration fails on deploy: ${failure.message}.`,
        details:
          "The migrations were replayed in their apply order into PostgreSQL 18 (PGlite), one statement at a time, and the server refused this one. A deploy stops here, and everything after it in the file is not applied. Statements that fail only because the verifier lacks a platform object or an extension are skipped, not reported.",
        location,
        key: `${location.file}:${kind}:${withoutPositions(failure.message)}`,
      });
    }
    return out;
  },
};
