// A larger run of the matcher-vs-planner differential test, for `npm run bench`.
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { matchIndex, matchPattern } from "../src/advisor/match.js";
import { adviseTable } from "../src/advisor/recommend.js";
import { initParser } from "../src/sql/parser.js";
import { PARTITIONED_TABLE, describeOutcome, explainPattern, generateCases, plannerVerdict, renderPattern, runCases, setupDiffTable, tableModel } from "../test/advisor/support/planner-diff.js";

export interface PlannerDifferentialResult {
  cases: number;
  agreed: number;
  /** Cases the matcher declined to judge (their answer depends on something outside the schema model). */
  declined: number;
  /** Cases where matcher and planner disagree, described for a human. */
  disagreements: string[];
  /** Declined cases by the matcher's reason for declining, and how the planner answered them. */
  declinedBy: Record<string, Record<string, number>>;
  /** Cases per named class of the wide generator (`random` for the general shape): total, agreed, declined. */
  byShape: Record<string, { cases: number; agreed: number; declined: number }>;
  ms: number;
}

/** Generates `cases` (index, query) pairs from `seed`, and compares the matcher with PGlite's planner on each. */
export async function runPlannerDifferential({ cases, seed, wide = false }: { cases: number; seed: number; wide?: boolean }): Promise<PlannerDifferentialResult> {
  const started = performance.now();
  await initParser();
  const db = new PGlite({ extensions: { pg_trgm } });
  try {
    const summary = await runCases(db, generateCases(cases, seed, { wide }), matchIndex);
    const declinedBy: Record<string, Record<string, number>> = {};
    for (const o of summary.outcomes) {
      if (o.declined === null) continue;
      const byVerdict = (declinedBy[o.declined] ??= {});
      const key = `planner ${o.planner}, matcher ${o.matcher}`;
      byVerdict[key] = (byVerdict[key] ?? 0) + 1;
    }
    const byShape: PlannerDifferentialResult["byShape"] = {};
    for (const o of summary.outcomes) {
      const entry = (byShape[o.case.shape ?? "random"] ??= { cases: 0, agreed: 0, declined: 0 });
      entry.cases++;
      if (o.declined !== null) entry.declined++;
      else if (o.planner === o.matcher) entry.agreed++;
    }
    return {
      byShape,
      cases: summary.cases,
      agreed: summary.agreed,
      declined: summary.declined,
      disagreements: summary.disagreements.map(describeOutcome),
      declinedBy,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await db.close();
  }
}

// Run directly: `node --import tsx bench/planner-diff.ts [cases] [seed[,seed...]] [--wide]`. Each seed is
// its own run (a fresh database); every disagreement is printed, and the declined cases grouped by
// reason. `--wide` adds hash indexes, and ranges and IS NOT NULL on text, to the generated cases.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).filter((a, i, all) => a !== "--wide" && a !== "--recommend" && all[i - 1] !== "--recommend");
  const wide = process.argv.includes("--wide");
  const cases = Number(args[0] ?? 5000);
  const seeds = (args[1] ?? "1").split(",").map(Number);
  let disagreed = 0;
  for (const seed of seeds) {
    const result = await runPlannerDifferential({ cases, seed, wide });
    disagreed += result.disagreements.length;
    console.log(`planner differential${wide ? " (wide)" : ""}, seed ${seed}: ${result.cases} cases, ${result.agreed} agreed, ${result.declined} declined, ${result.disagreements.length} disagreed, ${result.ms} ms`);
    for (const [shape, n] of Object.entries(result.byShape)) console.log(`  ${shape}: ${n.cases} cases, ${n.agreed} agreed, ${n.declined} declined`);
    for (const d of result.disagreements) console.log(d);
    for (const [why, byVerdict] of Object.entries(result.declinedBy)) {
      console.log(`  declined (${why}): ${Object.entries(byVerdict).map(([k, n]) => `${n} ${k}`).join("; ")}`);
    }
  }
  // `--recommend N`: also build the recommended index for N generated queries no index serves.
  const at = process.argv.indexOf("--recommend");
  if (at > 0) {
    const recs = await runRecommenderCheck({ cases: Number(process.argv[at + 1] ?? 2000), seed: seeds[0] + 1 });
    console.log(`recommended indexes: ${recs.advised} built (${recs.partitionedFixes} on the partitioned table), ${recs.failed.length} refused, ${recs.unused.length} unused, ${recs.ms} ms`);
    for (const line of [...recs.failed, ...recs.unused]) console.log(`  - ${line}`);
    if (recs.failed.length + recs.unused.length > 0) process.exitCode = 1;
  }
  if (disagreed > 0) process.exitCode = 1;
}

export interface RecommenderCheckResult {
  /** Generated queries no index served, each advised on the bare table. */
  advised: number;
  /** Of those built, fixes on the partitioned table (ON ONLY, a build per partition, ATTACH). */
  partitionedFixes: number;
  /** Recommended statements PostgreSQL refused. */
  failed: string[];
  /** Recommended indexes the planner does not use for the query they were recommended for (generic plans where parameters are bound). */
  unused: string[];
  ms: number;
}

/** Recommends an index for each generated query no index serves, builds it in PGlite, and checks the planner uses it. */
export async function runRecommenderCheck({ cases, seed, wide = true }: { cases: number; seed: number; wide?: boolean }): Promise<RecommenderCheckResult> {
  const started = performance.now();
  await initParser();
  const db = new PGlite({ extensions: { pg_trgm } });
  const failed: string[] = [];
  const unused: string[] = [];
  let advised = 0;
  let partitionedFixes = 0;
  try {
    await setupDiffTable(db);
    const plain = tableModel([]);
    // The partitioned copy with its partitions, so a fix builds the index on each one and attaches it.
    const parent = tableModel([], true);
    const partitions = ["1", "2", "d"].map((suffix) => ({ ...tableModel([]), name: `${PARTITIONED_TABLE}_${suffix}`, partitionOf: { schema: "public", table: PARTITIONED_TABLE } }));
    const schema = { tables: [{ ...parent, name: PARTITIONED_TABLE }, ...partitions] };
    for (const c of generateCases(cases, seed, { wide })) {
      const table = c.partitioned ? schema.tables[0] : plain;
      if (matchPattern(table, c.pattern).verdict !== "not-served") continue;
      const rec = adviseTable(table, [c.pattern], { schema }).recommendations[0];
      if (!rec) continue;
      advised++;
      try {
        for (const statement of rec.sql.split("\n")) await db.exec(statement);
      } catch (error) {
        failed.push(`${rec.sql}: ${(error as Error).message}`);
        continue;
      }
      try {
        const names = [rec.name, ...(await db.query<{ relname: string }>(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${rec.name}'::regclass`)).rows.map((x) => x.relname)];
        const answer = plannerVerdict(await explainPattern(db, c.pattern, table.name), names, rec.keys[0].column ?? rec.keys[0].expression!, c.pattern, rec.where !== null);
        if (answer.verdict !== "served") unused.push(`${rec.sql} for ${renderPattern(c.pattern, table.name).sql}`);
        if (c.partitioned) partitionedFixes++;
      } finally {
        await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
      }
    }
  } finally {
    await db.close();
  }
  return { advised, partitionedFixes, failed, unused, ms: Math.round(performance.now() - started) };
}
