// Cases the larger differential runs (bench/planner-diff.ts over many seeds) turned up, each pinned as
// a fixed (index, query) pair checked against the real planner (PGlite), through the same oracle and
// the same runner as the generated cases.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchIndex } from "../../src/advisor/match.js";
import type { ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import type { Verdict } from "../../src/advisor/match.js";
import { type DiffCase, type IndexSpec, TABLE_NAME, createIndexSql, indexModel, runCases, setupDiffTable, tableModel } from "./support/planner-diff.js";
import { pattern } from "./support/schema.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

const lit = (column: string, value: string): ColumnPredicate => ({ column, op: "eq", value, sentAs: "literal" });
const inList = (target: { column?: string; expression?: string }): ColumnPredicate => ({ ...target, op: "in", sentAs: "literal" });
const order = (column: string, descending: boolean, nullsFirst: boolean | null): OrderTerm => ({ column, descending, nullsFirst });

function diffCase(index: IndexSpec, predicates: ColumnPredicate[], orderBy: OrderTerm[] = [], limited = false): DiffCase {
  return { n: 0, index, pattern: pattern(TABLE_NAME, predicates, { orderBy, limited, source: "sql-in-code" }) };
}

/** Runs one case through the differential runner: the planner's verdict, the matcher's, and whether it declined. */
async function run(c: DiffCase): Promise<{ planner: Verdict; matcher: Verdict; declined: string | null; sql: string }> {
  const summary = await runCases(db, [c], matchIndex);
  const o = summary.outcomes[0];
  return { planner: o.planner, matcher: o.matcher, declined: o.declined, sql: `${o.indexSql}; ${o.sql}` };
}

describe("a partial index whose WHERE is the whole filter, under an ORDER BY the filter pins", () => {
  // Seed 20261125 #4136, seed 202 #2612, seed 404 #2827. With `a = 10` fixing the ORDER BY column no
  // plan sorts, so "no Sort node" proves nothing about the index; the oracle used to let that re-check
  // take back "served" even though the scan reads exactly the wanted rows (no Index Cond, no Filter).
  it.each([
    [{ keys: [{ expression: "lower(s)", opclass: "text_pattern_ops", descending: false, nulls: "last" }], unique: true, where: "a = 10" }, [lit("a", "10")], [order("a", true, true)]],
    [{ keys: [{ column: "d", descending: true }], unique: false, where: "d = 0 AND d IS NOT NULL" }, [lit("d", "0")], [order("d", true, true)]],
    [{ keys: [{ column: "a", descending: false }], unique: false, where: "a = 0" }, [lit("a", "0")], [order("a", false, true)]],
  ] as Array<[IndexSpec, ColumnPredicate[], OrderTerm[]]>)("is served: %j", async (index, predicates, orderBy) => {
    const r = await run(diffCase(index, predicates, orderBy, true));
    expect(r, r.sql).toMatchObject({ planner: "served", matcher: "served", declined: null });
  });

  it("is still only partial when a clause is left to filter: the ORDER BY re-check keeps its say there", async () => {
    const r = await run(diffCase({ keys: [{ column: "b", descending: false }], unique: false, where: "a = 10" }, [lit("a", "10"), lit("c", "1")], [order("a", false, null)], true));
    expect(r, r.sql).toMatchObject({ planner: "partial", matcher: "partial", declined: null });
  });
});

describe("a literal IN list on a column the partial index's WHERE tests", () => {
  // The access pattern does not keep an IN list's values, so the matcher used to decline every such
  // case. It now judges those whose verdict no list of values could change.
  it.each([
    ["WHERE u IS NOT NULL: any list proves it", { keys: [{ column: "u", descending: false, nulls: "first" }], unique: false, where: "u IS NOT NULL" }, [inList({ column: "u" })], "served"],
    ["WHERE d IS NULL: no list proves it", { keys: [{ column: "d", descending: false }], unique: false, where: "d IS NULL" }, [inList({ column: "d" })], "not-served"],
    ["another conjunct of the WHERE is unproved whatever the list", { keys: [{ column: "a", descending: false }], unique: false, where: "NOT g AND a <> 10" }, [inList({ column: "a" })], "not-served"],
    [
      "the WHERE is proved, no key takes a clause",
      { keys: [{ column: "c", descending: false }], unique: false, where: "s IS NOT NULL" },
      [inList({ column: "s" }), { column: "u", op: "like-prefix", value: "'ab%'", sentAs: "param" }],
      "partial",
    ],
    [
      "the WHERE is proved through the expression's strictness",
      { keys: [{ column: "b", descending: false }], unique: false, where: "s IS NOT NULL" },
      [inList({ expression: "lower(s)" }), lit("b", "3")],
      "served",
    ],
  ] as Array<[string, IndexSpec, ColumnPredicate[], Verdict]>)("%s", async (_, index, predicates, verdict) => {
    const r = await run(diffCase(index, predicates));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it("declines when the values decide, as the planner shows with two lists", async () => {
    const spec: IndexSpec = { keys: [{ column: "a", descending: false }], unique: false, where: "a <= 5" };
    const c = diffCase(spec, [inList({ column: "a" })]);
    const model = indexModel("diff_ix", spec);
    expect(matchIndex(tableModel([model]), model, c.pattern).uncertain).toMatch(/IN list/);
    await setupDiffTable(db);
    await db.exec(createIndexSql("diff_ix", spec));
    try {
      const uses = async (list: string) =>
        JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) SELECT * FROM ${TABLE_NAME} WHERE a IN (${list})`)).rows).includes("diff_ix");
      expect(await uses("1, 2")).toBe(true);
      expect(await uses("7, 8")).toBe(false);
    } finally {
      await db.exec("DROP INDEX diff_ix");
    }
  });

  it("declines when a list of one value (parsed as `=`) would fix the ORDER BY column", async () => {
    const spec: IndexSpec = { keys: [{ column: "b", descending: false }], unique: false, where: "a IS NOT NULL" };
    const c = diffCase(spec, [inList({ column: "a" })], [order("a", false, null), order("b", false, null)], true);
    const model = indexModel("diff_ix", spec);
    expect(matchIndex(tableModel([model]), model, c.pattern).uncertain).toMatch(/IN list/);
    await setupDiffTable(db);
    await db.exec(createIndexSql("diff_ix", spec));
    try {
      const sorts = async (list: string) =>
        JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) SELECT * FROM ${TABLE_NAME} WHERE a IN (${list}) ORDER BY a, b LIMIT 10`)).rows).includes('"Sort"');
      expect(await sorts("5")).toBe(false);
      expect(await sorts("5, 6")).toBe(true);
    } finally {
      await db.exec("DROP INDEX diff_ix");
    }
  });

  it("declines when the WHERE may prove the list itself and so drop it from the scan", async () => {
    // `a = 1` proves `a IN (1)` (then b alone: a skip scan) but not `a IN (1, 2)` (then not used).
    const spec: IndexSpec = { keys: [{ column: "a", descending: false }, { column: "b", descending: false }], unique: false, where: "a = 1" };
    const c = diffCase(spec, [inList({ column: "a" }), lit("b", "3")]);
    const model = indexModel("diff_ix", spec);
    expect(matchIndex(tableModel([model]), model, c.pattern).uncertain).toMatch(/IN list/);
  });
});

describe("hash indexes", () => {
  // Found by the wider runs (`bench/planner-diff.ts 3000 1 --wide`: 7 cases). A hash index
  // is searched by equality only, but every form of it: IN / = ANY in a bitmap scan, and `flag` /
  // `NOT flag` through the boolean opfamily. It cannot be read whole (amoptionalkey is false), so a
  // WHERE that is the query's whole filter does not make it usable; for the same reason the planner
  // keeps the clauses its WHERE implies and searches it by them.
  const hash = (key: { column?: string; expression?: string }, where: string | null = null): IndexSpec => ({ keys: [{ ...key, descending: false }], unique: false, where, method: "hash" });
  it.each([
    ["IN list", hash({ column: "b" }), [inList({ column: "b" })], [], true, "served"],
    ["= ANY($1)", hash({ column: "s" }), [{ column: "s", op: "in", sentAs: "param" }], [], false, "served"],
    ["NOT flag", hash({ column: "g" }), [{ column: "g", op: "bool", value: "false", sentAs: "literal" }], [order("s", true, true)], false, "served"],
    ["flag", hash({ column: "g" }), [{ column: "g", op: "bool", value: "true", sentAs: "literal" }], [], false, "served"],
    ["= $1", hash({ column: "a" }), [{ column: "a", op: "eq", value: "1", sentAs: "param" }], [], false, "served"],
    ["IS NULL", hash({ column: "a" }), [{ column: "a", op: "is-null", sentAs: "literal" }], [], false, "not-served"],
    ["a clause its WHERE implies", hash({ column: "d" }, "d = 20"), [lit("b", "7"), lit("d", "20")], [], false, "served"],
    ["a WHERE that is the whole filter", hash({ column: "u" }, "u IS NOT NULL"), [{ column: "u", op: "is-not-null", sentAs: "literal" }], [], true, "not-served"],
    ["another column's equality", hash({ column: "u" }, "b = 1"), [lit("b", "1")], [], false, "not-served"],
  ] as Array<[string, IndexSpec, ColumnPredicate[], OrderTerm[], boolean, Verdict]>)("%s", async (_, index, predicates, orderBy, limited, verdict) => {
    const r = await run(diffCase(index, predicates, orderBy, limited));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });
});

describe("what an expression's test proves about its column", () => {
  // Found by the wider runs (`--wide`, seed 2, #4957). `lower(s) = 'x'` is a
  // strict operator over a strict function of s, so it proves `s IS NOT NULL`; `lower(s) IS NOT NULL`
  // is a NullTest, which predtest.c's clause_is_strict_for does not look into, so it proves nothing about s.
  const spec: IndexSpec = { keys: [{ column: "b", descending: false }], unique: false, where: "s IS NOT NULL" };
  it.each([
    ["lower(s) IS NOT NULL does not prove s IS NOT NULL", { expression: "lower(s)", op: "is-not-null", sentAs: "literal" }, "not-served"],
    ["lower(s) = 'x' does", { expression: "lower(s)", op: "eq", value: "'x'", sentAs: "literal" }, "served"],
    ["lower(s) = $1 does", { expression: "lower(s)", op: "eq", value: "'x'", sentAs: "param" }, "served"],
  ] as Array<[string, ColumnPredicate, Verdict]>)("%s", async (_, clause, verdict) => {
    const r = await run(diffCase(spec, [lit("b", "1"), clause]));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it("and the same holds with the index keyed on the expression itself", async () => {
    // The differential case: the index's WHERE is unproved, so its key on lower(s) is not used at all.
    const r = await run(
      diffCase({ keys: [{ expression: "lower(s)", descending: true, nulls: "last" }, { column: "d", descending: false }], unique: true, where: "s IS NOT NULL" }, [
        { column: "d", op: "neq", value: "1", sentAs: "literal" },
        { expression: "lower(s)", op: "is-not-null", sentAs: "literal" },
      ], [], true),
    );
    expect(r, r.sql).toMatchObject({ planner: "not-served", matcher: "not-served", declined: null });
  });
});
