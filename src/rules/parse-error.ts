// Input the audit could not read or parse: each problem is reported where it is, and the
// rest of the repository is audited as usual.
import type { FindingDraft } from "../core/types.js";
import { withoutPositions } from "../core/findings.js";
import type { Rule } from "./rule.js";

export const parseError: Rule = {
  id: "parse-error",
  description: "Migration and query files, or statements in them, that could not be read or parsed; the rest of the audit goes on without them.",
  defaultSeverity: "routine",
  check(context) {
    const seen = new Map<string, number>();
    // A statement PostgreSQL would refuse (migration-fails) and a migration list out of step with its folder
    // (migration-listing) are read fine: their own rules report them.
    return context.problems.filter((problem) => problem.kind === undefined).map((problem): FindingDraft => {
      // Two identical problems in one file stay two findings, numbered in file order.
      const base = `${problem.location.file}:${withoutPositions(problem.message)}`;
      const occurrence = seen.get(base) ?? 0;
      seen.set(base, occurrence + 1);
      return {
        rule: "parse-error",
        severity: "routine",
        table: "",
        columns: [],
        message: problem.message,
        details:
          "index-audit could not read this input, so whatever it defines or queries is missing from the audit: tables, indexes and queries after a failed statement may be reported wrongly. Fix the syntax (the audit parses with PostgreSQL 18's own parser), or suppress the finding if the file is not PostgreSQL.",
        location: problem.location,
        key: `${base}#${occurrence}`,
      };
    });
  },
};
