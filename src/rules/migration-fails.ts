// A migration statement PostgreSQL refuses: a deploy of these migrations would stop at that statement.
// Two sources, one finding each: the schema replay knows some refusals without a server (an index or a
// constraint naming a column the table lacks: src/schema/replay-checks.ts), and the verify stage
// (`--verify`) replays every statement into PostgreSQL 18 itself and carries the server's own message.
// Statements that fail only because the verifier lacks something the platform provides (an extension PGlite
// does not ship, a role made outside the migrations) are not reported, nor statements that fail only because
// an earlier one did, nor a statement already reported at the same place.
import type { FindingDraft } from "../core/types.js";
import { withoutPositions } from "../core/findings.js";
import type { Rule } from "./rule.js";

export const migrationFails: Rule = {
  id: "migration-fails",
  description: "A migration statement PostgreSQL 18 refuses when the migrations run in order (known from the replay, or with --verify from the server itself), with PostgreSQL's message.",
  defaultSeverity: "important",
  check(context) {
    const reported = new Set(context.problems.map((p) => `${p.location.file}:${p.location.line}`));
    const out: FindingDraft[] = [];
    // The audit's own run reports the replay's refusals; the verify stage runs this rule again with the
    // server's (replayFailures), where those problems only keep a statement from being reported twice.
    for (const problem of context.replayFailures ? [] : context.problems) {
      if (problem.kind !== "refused") continue;
      out.push({
        rule: "migration-fails",
        severity: "important",
        table: "",
        columns: [],
        message: problem.message,
        summary: `This migration fails on deploy: ${problem.message.replace(/^PostgreSQL rejects this [A-Z ]+: /, "").replace(/( \(|; ).*$/, "")}.`,
        details:
          "PostgreSQL refuses this statement when the migrations run in order, so a deploy stops here and everything after it in the file is not applied. The audit leaves the statement out of the schema it rebuilds, as the server would.",
        location: problem.location,
        key: `${problem.location.file}:refused:${withoutPositions(problem.message)}`,
      });
    }
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
