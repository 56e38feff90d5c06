// A larger run of the matcher-vs-planner differential test, for `npm run bench`.
import { PGlite } from "@electric-sql/pglite";
import { matchIndex } from "../src/advisor/match.js";
import { initParser } from "../src/sql/parser.js";
import { describeOutcome, generateCases, runCases } from "../test/advisor/support/planner-diff.js";

export interface PlannerDifferentialResult {
  cases: number;
  agreed: number;
  /** Cases the matcher declined to judge (their answer depends on something outside the schema model). */
  declined: number;
  /** Cases where matcher and planner disagree, described for a human. */
  disagreements: string[];
  ms: number;
}

/** Generates `cases` (index, query) pairs from `seed`, and compares the matcher with PGlite's planner on each. */
export async function runPlannerDifferential({ cases, seed }: { cases: number; seed: number }): Promise<PlannerDifferentialResult> {
  const started = performance.now();
  await initParser();
  const db = new PGlite();
  try {
    const summary = await runCases(db, generateCases(cases, seed), matchIndex);
    return {
      cases: summary.cases,
      agreed: summary.agreed,
      declined: summary.declined,
      disagreements: summary.disagreements.map(describeOutcome),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await db.close();
  }
}

// Run directly: `node --import tsx bench/planner-diff.ts [cases] [seed]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const cases = Number(process.argv[2] ?? 5000);
  const seed = Number(process.argv[3] ?? 1);
  const result = await runPlannerDifferential({ cases, seed });
  console.log(`planner differential: ${result.cases} cases, ${result.agreed} agreed, ${result.declined} declined, ${result.disagreements.length} disagreed, ${result.ms} ms`);
  for (const d of result.disagreements.slice(0, 20)) console.log(d);
  if (result.disagreements.length > 0) process.exitCode = 1;
}
