// A migration list out of step with its folder: a Drizzle journal (meta/_journal.json) or a Sqitch plan
// (sqitch.plan) that names a file that is not there, or a file beside it that it does not name. The
// files are readable and audited; what is wrong is what the migration tool would apply. drizzle-kit
// migrate applies only the journal's entries (readMigrationFiles in drizzle-orm's migrator); sqitch
// deploy only the plan's changes. Projects that use `drizzle-kit push` or apply files by hand never
// read the list, so this is NOTED.
import type { FindingDraft } from "../core/types.js";
import type { Rule } from "./rule.js";

export const migrationListing: Rule = {
  id: "migration-listing",
  description: "A migration list (Drizzle journal, Sqitch plan) that names missing files or leaves out files beside it.",
  defaultSeverity: "noted",
  check(context) {
    const seen = new Map<string, number>();
    return context.problems
      .filter((problem) => problem.kind === "listing")
      .map((problem): FindingDraft => {
        const base = `${problem.location.file}:${problem.message}`;
        const occurrence = seen.get(base) ?? 0;
        seen.set(base, occurrence + 1);
        const sqitch = /sqitch/i.test(problem.message);
        const tool = sqitch ? "sqitch deploy" : "drizzle-kit migrate";
        const list = sqitch ? "the plan" : "the journal";
        return {
          rule: "migration-listing",
          severity: "noted",
          table: "",
          columns: [],
          message: problem.message,
          details:
            `${tool} applies only what ${list} lists, in its order: a listed file that is missing stops it, and a file ${list} does not list is never applied. ` +
            "The audit still reads every file in the folder (unlisted ones after the listed ones, in name order), so the schema it rebuilds does not depend on this. " +
            `If the project applies its migrations some other way (${sqitch ? "by hand, or with another tool" : "`drizzle-kit push`, by hand, or with another tool"}), ignore this finding.`,
          location: problem.location,
          key: `${base}#${occurrence}`,
        };
      });
  },
};
