// Classes of advice, each pinned as named cases checked against the real planner (PGlite,
// PostgreSQL 18): the matcher's verdict for an existing index, and the recommended index applied to
// the same query.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchIndex, type Verdict } from "../../src/advisor/match.js";
import { adviseTable } from "../../src/advisor/recommend.js";
import type { AccessPattern, ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { type DiffCase, type IndexSpec, TABLE_NAME, explainPattern, plannerVerdict, runCases, setupDiffTable, tableModel } from "./support/planner-diff.js";
import { pattern } from "./support/schema.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

const boolTest = (column: string, value: "true" | "false" | "not true" | "not false"): ColumnPredicate => ({ column, op: "bool-test", value, sentAs: "literal" });
const flag = (column: string, value = "true"): ColumnPredicate => ({ column, op: "bool", value, sentAs: "literal" });
const param = (column: string, value = "1"): ColumnPredicate => ({ column, op: "eq", value, sentAs: "param" });

function diffCase(index: IndexSpec, predicates: ColumnPredicate[], orderBy: OrderTerm[] = [], limited = false): DiffCase {
  return { n: 0, index, pattern: pattern(TABLE_NAME, predicates, { orderBy, limited, source: "sql-in-code" }) };
}

async function run(c: DiffCase): Promise<{ planner: Verdict; matcher: Verdict; declined: string | null; sql: string }> {
  const summary = await runCases(db, [c], matchIndex);
  const o = summary.outcomes[0];
  return { planner: o.planner, matcher: o.matcher, declined: o.declined, sql: `${o.indexSql}; ${o.sql}` };
}

/** The recommender's index for one query on the bare table, built in PGlite, and the planner's verdict on it. */
async function recommendAndPlan(p: AccessPattern): Promise<{ sql: string; verdict: Verdict | null }> {
  await setupDiffTable(db);
  const advice = adviseTable(tableModel([]), [p]);
  const rec = advice.recommendations[0];
  if (!rec) return { sql: "", verdict: null };
  await db.exec(rec.sql);
  try {
    const plan = await explainPattern(db, p);
    return { sql: rec.sql, verdict: plannerVerdict(plan, rec.name, rec.keys[0].column ?? rec.keys[0].expression!, p, rec.where !== null).verdict };
  } finally {
    await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
  }
}

describe("boolean tests, proved the way predtest.c proves them", () => {
  // `.is('f', true)` sends `f IS TRUE`: false for NULL, unlike `f`, and predtest.c proves a partial
  // index's WHERE from it only when that WHERE is the same test.
  const partial = (where: string): IndexSpec => ({ keys: [{ column: "a", descending: false }], unique: false, where });
  it.each([
    ["f IS TRUE does not prove WHERE f", "f", boolTest("f", "true"), "not-served"],
    ["f IS TRUE does not prove WHERE f = true", "f = true", boolTest("f", "true"), "not-served"],
    ["f IS TRUE does not prove WHERE f IS NOT NULL", "f IS NOT NULL", boolTest("f", "true"), "not-served"],
    ["f IS TRUE proves WHERE f IS TRUE", "f IS TRUE", boolTest("f", "true"), "served"],
    ["f IS FALSE does not prove WHERE NOT f", "NOT f", boolTest("f", "false"), "not-served"],
    ["f IS FALSE proves WHERE f IS FALSE", "f IS FALSE", boolTest("f", "false"), "served"],
    ["f IS NOT TRUE proves WHERE f IS NOT TRUE", "f IS NOT TRUE", boolTest("f", "not true"), "served"],
    ["f IS NOT FALSE proves WHERE f IS NOT FALSE", "f IS NOT FALSE", boolTest("f", "not false"), "served"],
    ["f IS NOT FALSE does not prove WHERE f IS NOT TRUE", "f IS NOT TRUE", boolTest("f", "not false"), "not-served"],
    ["f does not prove WHERE f IS TRUE", "f IS TRUE", flag("f"), "not-served"],
  ] as Array<[string, string, ColumnPredicate, Verdict]>)("%s", async (_, where, clause, verdict) => {
    const r = await run(diffCase(partial(where), [param("a"), clause]));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it.each([
    ["f IS TRUE searches an index on f", boolTest("f", "true"), "served"],
    ["f IS FALSE searches an index on f", boolTest("f", "false"), "served"],
    ["f IS NOT TRUE does not", boolTest("f", "not true"), "not-served"],
  ] as Array<[string, ColumnPredicate, Verdict]>)("%s", async (_, clause, verdict) => {
    const r = await run(diffCase({ keys: [{ column: "f", descending: false }], unique: false, where: null }, [clause]));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it.each(["true", "false", "not true", "not false"] as const)("the fix for `IS %s` writes the same test into its WHERE, and the planner uses it", async (value) => {
    const p = pattern(TABLE_NAME, [param("a"), boolTest("f", value)], { source: "supabase-js" });
    const { sql, verdict } = await recommendAndPlan(p);
    expect(sql).toContain(`WHERE f IS ${value.toUpperCase()}`);
    expect(verdict, sql).toBe("served");
  });
});
