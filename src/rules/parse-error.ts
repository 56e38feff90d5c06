// Input the audit could not read or parse: each problem is reported where it is, and the
// rest of the repository is audited as usual.
import type { FindingDraft } from "../core/types.js";
import { withoutPositions } from "../core/findings.js";
import type { Rule } from "./rule.js";

/** The reason a problem outside the set's migrations is NOTED. */
const SCRIPT_NOTE =
  "NOTED because this file is not one of the migrations that build the database: a script run by hand or a query file. Only the queries in its unreadable part are missing from the audit.";

export const parseError: Rule = {
  id: "parse-error",
  description: "Migration and query files, or statements in them, that could not be read or parsed; the rest of the audit goes on without them.",
  defaultSeverity: "routine",
  check(context) {
    const seen = new Map<string, number>();
    const migrations = new Set([...context.set.files.map((f) => f.path), ...(context.set.companions ?? [])]);
    // A statement PostgreSQL would refuse (migration-fails) and a migration list out of step with its folder
    // (migration-listing) are read fine: their own rules report them.
    return context.problems.filter((problem) => problem.kind === undefined).map((problem): FindingDraft => {
      // Two identical problems in one file stay two findings, numbered in file order.
      const base = `${problem.location.file}:${withoutPositions(problem.message)}`;
      const occurrence = seen.get(base) ?? 0;
      seen.set(base, occurrence + 1);
      // A SQL file no migration set applies fails no deploy: a hand-run script or a query file.
      const script = problem.location.file.toLowerCase().endsWith(".sql") && !migrations.has(problem.location.file);
      const foreign = problem.notPostgres;
      const details = foreign
        ? [
            `This file is not PostgreSQL from line ${foreign.line} (${foreign.sign}): that part is written for ${foreign.dialect}, so PostgreSQL's parser cannot read it, and there is no syntax to fix. The audit leaves the file's queries out. To keep the file out of the audit, suppress the finding or move the other dialect's part into a file of its own.`,
          ]
        : [
            "index-audit could not read this input, so whatever it defines or queries is missing from the audit: tables, indexes and queries after a failed statement may be reported wrongly. Fix the syntax (the audit parses with PostgreSQL 18's own parser), or suppress the finding if the file is not PostgreSQL.",
          ];
      return {
        rule: "parse-error",
        severity: script || foreign ? "noted" : "routine",
        table: "",
        columns: [],
        message: problem.message,
        details: (script ? [SCRIPT_NOTE, ...details] : details).join("\n\n"),
        location: problem.location,
        key: `${base}#${occurrence}`,
      };
    });
  },
};
