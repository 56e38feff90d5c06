// The static matcher against the real planner (PGlite, PostgreSQL 18), and the recommender's indexes
// applied to the real planner. See support/planner-diff.ts for what counts as "served".
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchIndex, matchPattern } from "../../src/advisor/match.js";
import { adviseTable } from "../../src/advisor/recommend.js";
import { indexWorthy, lowCardinality } from "../../src/advisor/coverage.js";
import type { AccessPattern } from "../../src/core/types.js";
import { parseSql } from "../../src/sql/parser.js";
import { queryIndex } from "../../src/rules/query-index.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import {
  type DiffCase,
  describeOutcome,
  explainPattern,
  generateCases,
  plannerVerdict,
  preparePlanner,
  runCases,
  setupDiffTable,
  TABLE_NAME,
  tableModel,
  diffColumnType,
} from "./support/planner-diff.js";
import { CALL_LOGS_SQL, HANDWRITTEN_RECONNECT_INDEX, reconnectPattern, schemaFrom, tableFrom } from "./support/schema.js";
import { startPGlite } from "../support/pglite.js";

const SEED = 20241203;
const CASES = 1000;

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

/** Which features a case exercises, to show the generator covers each of them. */
function features(c: DiffCase): string[] {
  const f = new Set<string>();
  for (const p of c.pattern.predicates) {
    f.add(`op:${p.op}${p.op === "eq" || p.op === "bool" || p.op === "in" || p.op === "range" || p.op === "like-prefix" ? `/${p.sentAs}` : ""}`);
    if (p.expression) f.add("predicate on expression");
  }
  if (c.pattern.orderBy.length) f.add(c.pattern.limited ? "order by + limit" : "order by, no limit");
  if (c.pattern.orderBy.some((o) => o.nullsFirst !== null)) f.add("explicit NULLS placement");
  if (c.index.keys.length > 1) f.add("multi-column index");
  if (c.index.keys.some((k) => k.expression)) f.add("expression index");
  if (c.index.keys.some((k) => k.opclass)) f.add("text_pattern_ops");
  if (c.index.keys.some((k) => k.collation)) f.add("COLLATE \"C\" key");
  if (c.index.keys.some((k) => k.descending)) f.add("DESC key");
  if (c.index.unique) f.add("unique index");
  if (c.index.where) f.add(/ OR /.test(c.index.where) ? "partial index (OR)" : "partial index");
  return [...f];
}

describe("the matcher agrees with PostgreSQL's planner", () => {
  it(`on ${CASES} generated (index, query) cases from seed ${SEED}`, async () => {
    const cases = generateCases(CASES, SEED);
    const summary = await runCases(db, cases, matchIndex);

    const coverage = new Map<string, number>();
    for (const c of cases) for (const f of features(c)) coverage.set(f, (coverage.get(f) ?? 0) + 1);
    const partialImplied = summary.outcomes.filter((o) => o.case.index.where && o.planner !== "not-served").length;
    const partialRefused = summary.outcomes.filter((o) => o.case.index.where && o.planner === "not-served").length;
    console.log(
      `planner differential: ${summary.cases} cases, ${summary.agreed} agreed, ${summary.declined} declined, ${summary.disagreements.length} disagreed ` +
        `(planner: ${summary.byVerdict.served} served, ${summary.byVerdict.partial} partial, ${summary.byVerdict["not-served"]} not served; ` +
        `partial indexes used ${partialImplied}, refused ${partialRefused}) in ${summary.ms} ms`,
    );

    expect(summary.disagreements.map(describeOutcome)).toEqual([]);
    expect(summary.agreed + summary.declined).toBe(CASES);
    // Declining must stay a small minority.
    expect(summary.declined).toBeLessThan(CASES * 0.02);
    // All three verdicts occur in numbers.
    for (const v of ["served", "partial", "not-served"] as const) expect(summary.byVerdict[v]).toBeGreaterThan(40);
    // Partial indexes both proved and refused.
    expect(partialImplied).toBeGreaterThan(20);
    expect(partialRefused).toBeGreaterThan(20);
    for (const feature of [
      "op:eq/param",
      "op:eq/literal",
      "op:in/param",
      "op:in/literal",
      "op:range/param",
      "op:range/literal",
      "op:is-null",
      "op:is-not-null",
      "op:neq",
      "op:bool/literal",
      "op:bool/param",
      "op:like-prefix/literal",
      "op:like-prefix/param",
      "op:like",
      "predicate on expression",
      "order by + limit",
      "order by, no limit",
      "explicit NULLS placement",
      "multi-column index",
      "expression index",
      "text_pattern_ops",
      'COLLATE "C" key',
      "DESC key",
      "unique index",
      "partial index",
      "partial index (OR)",
    ]) {
      expect(coverage.get(feature) ?? 0, feature).toBeGreaterThan(5);
    }
  });
});

describe("the matcher agrees with the planner on the wider shapes", () => {
  it("hash indexes and IS TRUE / IS FALSE / IS NOT TRUE / IS NOT FALSE, in queries and in partial indexes' WHERE", async () => {
    const cases = generateCases(300, SEED + 7, { wide: true });
    const summary = await runCases(db, cases, matchIndex);
    expect(summary.disagreements.map(describeOutcome)).toEqual([]);
    expect(cases.filter((c) => c.index.method === "hash").length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.pattern.predicates.some((p) => p.op === "bool-test")).length).toBeGreaterThan(10);
    expect(cases.filter((c) => / IS (NOT )?(TRUE|FALSE)/.test(c.index.where ?? "")).length).toBeGreaterThan(3);
  });

  it("named classes: pg_trgm indexes and operators, a partitioned table, skip scans, unique partial indexes", async () => {
    const cases = generateCases(300, SEED + 7, { wide: true });
    const summary = await runCases(db, cases, matchIndex);
    for (const shape of ["trigram", "partitioned", "skip-scan", "unique-partial"] as const) {
      const ofShape = summary.outcomes.filter((o) => o.case.shape === shape);
      expect(ofShape.length, shape).toBeGreaterThan(10);
      expect(ofShape.filter((o) => o.declined === null && o.planner !== o.matcher).map(describeOutcome)).toEqual([]);
      // Each class reaches more than one verdict of the planner: it tests a distinction, not one answer.
      expect(new Set(ofShape.map((o) => o.planner)).size, shape).toBeGreaterThan(1);
    }
  });
});

describe("recommended indexes, applied to the real planner", () => {
  it("serve the generated queries no index served (generic plans where the client binds parameters)", async () => {
    await setupDiffTable(db);
    const table = tableModel([]);
    const patterns = generateCases(400, SEED + 1)
      .map((c) => c.pattern)
      .filter((p) => matchPattern(table, p).verdict === "not-served");
    let checked = 0;
    let unplaced = 0;
    const failures: string[] = [];
    for (const pattern of patterns.slice(0, 80)) {
      const advice = adviseTable(table, [pattern]);
      if (advice.recommendations.length === 0) {
        unplaced++;
        // Only queries no btree can help, that select most of the table (coverage.ts), or whose only filters
        // are on a boolean (two values: no key by itself) are left without a recommendation.
        const hopeless =
          !indexWorthy(pattern) ||
          pattern.predicates.every(
            (p) => ["neq", "like", "contains", "other", "bool", "bool-test"].includes(p.op) || (p.op === "like-prefix" && p.sentAs === "param") || lowCardinality(table, p),
          );
        expect(hopeless && !(pattern.orderBy.length > 0 && pattern.limited), JSON.stringify(pattern)).toBe(true);
        continue;
      }
      const rec = advice.recommendations[0];
      const parsed = parseSql(rec.sql);
      expect(parsed.ok, rec.sql).toBe(true);
      expect(rec.name.length).toBeLessThanOrEqual(63);
      for (const statement of rec.sql.split("\n")) await db.exec(statement);
      try {
        const plan = await explainPattern(db, pattern);
        const leading = rec.keys[0].column ?? rec.keys[0].expression!;
        const answer = plannerVerdict(plan, rec.name, leading, pattern, rec.where !== null);
        if (answer.verdict !== "served") failures.push(`${rec.sql}\n  for ${JSON.stringify(pattern.predicates)} order ${JSON.stringify(pattern.orderBy)} limited=${pattern.limited}\n  ${answer.plan.slice(0, 400)}`);
        checked++;
      } finally {
        await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
      }
    }
    console.log(`recommender: ${checked} recommended indexes checked in the planner, ${unplaced} queries no btree index can serve`);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it("serve every query of a table when several are advised together", async () => {
    await setupDiffTable(db);
    const table = tableModel([]);
    const all = generateCases(300, SEED + 2)
      .map((c) => c.pattern)
      .filter((p) => matchPattern(table, p).verdict === "not-served");
    const failures: string[] = [];
    let served = 0;
    let indexes = 0;
    for (let g = 0; g + 3 <= Math.min(all.length, 60); g += 3) {
      const group = all.slice(g, g + 3);
      const advice = adviseTable(table, group);
      indexes += advice.recommendations.length;
      for (const rec of advice.recommendations) for (const statement of rec.sql.split("\n")) await db.exec(statement);
      try {
        for (const rec of advice.recommendations) {
          for (const p of rec.patterns) {
            const verdicts = [];
            const plan = await explainPattern(db, p);
            for (const r of advice.recommendations) {
              verdicts.push(plannerVerdict(plan, r.name, r.keys[0].column ?? r.keys[0].expression!, p, r.where !== null).verdict);
            }
            if (verdicts.includes("served")) served++;
            else failures.push(`${advice.recommendations.map((r) => r.sql).join(" ")}\n  ${JSON.stringify(p.predicates)} ${JSON.stringify(p.orderBy)} ${p.limited}`);
          }
        }
      } finally {
        for (const rec of advice.recommendations) await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
      }
    }
    console.log(`recommender, grouped: ${served} queries served by ${indexes} recommended indexes`);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(30);
  });

  it("folds queries that share columns into one index the planner uses for all of them", async () => {
    await setupDiffTable(db);
    const table = tableModel([]);
    const base = { table: TABLE_NAME, kind: "select" as const, hasOr: false, joins: [], inLoop: false, source: "supabase-js" as const, suppressions: [] };
    const loc = (line: number) => ({ file: "src/q.ts", line, column: 1 });
    const patterns: AccessPattern[] = [
      { ...base, predicates: [{ column: "a", op: "eq", value: "1", sentAs: "param" }], orderBy: [], limited: false, location: loc(1) },
      { ...base, predicates: [{ column: "a", op: "eq", value: "1", sentAs: "param" }, { column: "b", op: "eq", value: "2", sentAs: "param" }], orderBy: [], limited: true, location: loc(2) },
      { ...base, predicates: [{ column: "b", op: "eq", value: "2", sentAs: "param" }, { column: "a", op: "eq", value: "1", sentAs: "param" }, { column: "c", op: "range", operator: ">", value: "3", sentAs: "param" }], orderBy: [], limited: false, location: loc(3) },
    ];
    const advice = adviseTable(table, patterns);
    expect(advice.recommendations).toHaveLength(1);
    const rec = advice.recommendations[0];
    expect(rec.keys.map((k) => k.column)).toEqual(["a", "b", "c"]);
    for (const statement of rec.sql.split("\n")) await db.exec(statement);
    try {
      for (const p of patterns) {
        const answer = plannerVerdict(await explainPattern(db, p), rec.name, "a", p, false);
        expect(answer.verdict).toBe("served");
      }
    } finally {
      await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
    }
  });
});

describe("the example application's getCallByReconnectToken()", () => {
  const typeOf = (column: string) =>
    ({ reconnect_token: "text", status: "text", reconnect_eligible: "boolean", ended_at: "timestamptz" })[column] ?? diffColumnType(column);

  it("the hand-written partial index is not used under a generic plan; the recommended one is, and the finding says so", async () => {
    await db.exec(`DROP TABLE IF EXISTS call_logs, sites, organizations CASCADE; ${CALL_LOGS_SQL} ${HANDWRITTEN_RECONNECT_INDEX}`);
    await preparePlanner(db);
    const pattern = reconnectPattern();

    // With the values written into the SQL the hand-written index works...
    const literal: AccessPattern = { ...pattern, predicates: pattern.predicates.map((p) => ({ ...p, sentAs: "literal" as const })) };
    const literalPlan = JSON.stringify(await explainPattern(db, literal, "call_logs", typeOf));
    expect(literalPlan).toContain('"Index Name":"idx_call_logs_reconnect_token"');
    // ...but as PostgREST sends them, bound as parameters, a generic plan cannot prove its WHERE.
    const genericPlan = JSON.stringify(await explainPattern(db, pattern, "call_logs", typeOf));
    expect(genericPlan).not.toContain("idx_call_logs_reconnect_token");

    // The matcher says the same.
    const table = tableFrom(CALL_LOGS_SQL + HANDWRITTEN_RECONNECT_INDEX, "call_logs");
    const handWritten = table.indexes.find((i) => i.name === "idx_call_logs_reconnect_token")!;
    expect(matchIndex(table, handWritten, literal).verdict).toBe("served");
    const generic = matchIndex(table, handWritten, pattern);
    expect(generic.verdict).toBe("not-served");
    expect(generic.parameterBlockedColumns).toEqual(["status", "reconnect_eligible"]);

    // The recommendation keys on the token, keeps the literal IS NULL as its WHERE, and works generically.
    const advice = adviseTable(table, [pattern]);
    expect(advice.recommendations).toHaveLength(1);
    const rec = advice.recommendations[0];
    expect(rec.sql).toBe(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${rec.name} ON call_logs (reconnect_token) WHERE ended_at IS NULL;`);
    for (const statement of rec.sql.split("\n")) await db.exec(statement);
    const after = await explainPattern(db, pattern, "call_logs", typeOf);
    expect(plannerVerdict(after, rec.name, "reconnect_token", pattern, true).verdict).toBe("served");

    // And the finding tells the user why the existing index does not count.
    const schema = schemaFrom(CALL_LOGS_SQL + HANDWRITTEN_RECONNECT_INDEX);
    const findings = queryIndex.check({
      set: { name: "supabase/migrations", framework: "supabase", root: "supabase/migrations", files: [] },
      statements: [],
      schema,
      patterns: [pattern],
      problems: [],
      config: DEFAULT_CONFIG,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain("`getCallByReconnectToken()`");
    expect(findings[0].message).toContain("idx_call_logs_reconnect_token looks as if it serves it");
    expect(findings[0].message).toContain("a generic plan cannot use it, so PostgreSQL may stop using it");
    expect(findings[0].details).toContain("it chooses the generic plan whenever that plan's estimated cost is not above the average custom plan's");
    expect(findings[0].fix?.sql).toBe(rec.sql);
  });
});
