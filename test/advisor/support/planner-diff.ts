// The differential test's generator and runner: seeded (index, access pattern) cases, each run against
// the real planner in PGlite (planner-explain.ts) and compared with the matcher.
import type { PGlite } from "@electric-sql/pglite";
import type { AccessPattern, ColumnPredicate, Index, OrderTerm, Table } from "../../../src/core/types.js";
import type { Verdict } from "../../../src/advisor/match.js";
import { BOOL_COLUMNS, CREATE_PARTITIONED_SQL, CREATE_TABLE_SQL, INT_COLUMNS, type IndexSpec, PARTITIONED_TABLE, TABLE_NAME, TEXT_COLUMNS, columnType, createIndexSql, indexModel, loc, tableModel } from "./planner-table.js";
import { type PlannerAnswer, explainPattern, planSorts, plannerVerdict, preparePlanner, renderPattern } from "./planner-explain.js";

export * from "./planner-table.js";
export * from "./planner-explain.js";

// ---------------------------------------------------------------- seeded randomness

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const chance = (r: Rand, p: number) => r() < p;

// ---------------------------------------------------------------- generation

const INT_VALUES = [0, 1, 3, 5, 7, 10, 20];
const TEXT_VALUES = ["ab", "cd", "x"];

function literalFor(column: string, r: Rand): string {
  const type = columnType(column);
  if (type === "int") return String(pick(r, INT_VALUES));
  if (type === "bool") return pick(r, ["true", "false"]);
  return `'${pick(r, TEXT_VALUES)}'`;
}

function target(r: Rand): { column?: string; expression?: string } {
  if (chance(r, 0.08)) return { expression: "lower(s)" };
  return { column: pick(r, [...INT_COLUMNS, ...INT_COLUMNS, ...TEXT_COLUMNS, ...BOOL_COLUMNS]) };
}

function randomPredicate(r: Rand, wide = false): ColumnPredicate {
  const t = target(r);
  const type = t.expression ? "text" : columnType(t.column!);
  const sentAs = chance(r, 0.35) ? "param" : "literal";
  const colForValue = t.column ?? "s";
  if (type === "bool") {
    const op = pick(r, wide ? (["bool", "bool", "is-null", "is-not-null", "bool-test", "bool-test"] as const) : (["bool", "bool", "is-null", "is-not-null"] as const));
    if (op === "bool") return { ...t, op, value: pick(r, ["true", "false"]), sentAs };
    // `.is(col, true)` and its kin: PostgREST writes the keyword into the SQL.
    if (op === "bool-test") return { ...t, op, value: pick(r, ["true", "false", "not true", "not false"]), sentAs: "literal" };
    return { ...t, op, sentAs: "literal" };
  }
  const ops =
    type === "int"
      ? (["eq", "eq", "in", "range", "range", "is-null", "is-not-null", "neq"] as const)
      : wide
        ? (["eq", "eq", "in", "like-prefix", "like-prefix", "like", "is-null", "neq", "range", "is-not-null"] as const)
        : (["eq", "eq", "in", "like-prefix", "like-prefix", "like", "is-null", "neq"] as const);
  const op = pick(r, ops);
  switch (op) {
    case "eq":
    case "neq":
      return { ...t, op, value: literalFor(colForValue, r), sentAs: op === "neq" ? "literal" : sentAs };
    case "in":
      return { ...t, op, sentAs };
    case "range":
      return { ...t, op, operator: pick(r, ["<", "<=", ">", ">="] as const), value: literalFor(colForValue, r), sentAs };
    case "like-prefix":
      return { ...t, op, value: `'${pick(r, TEXT_VALUES)}%'`, sentAs };
    case "like":
      return { ...t, op, value: `'%${pick(r, TEXT_VALUES)}%'`, sentAs: "literal" };
    default:
      return { ...t, op, sentAs: "literal" };
  }
}

function randomOrder(r: Rand): OrderTerm {
  const t = target(r);
  const nullsFirst = chance(r, 0.5) ? null : chance(r, 0.5);
  return { ...t, descending: chance(r, 0.5), nullsFirst };
}

/** A literal predicate the pattern's own clauses may or may not prove, for a partial index. */
function indexWhere(r: Rand, pattern: AccessPattern, wide: boolean): string {
  const fromPattern = pattern.predicates.filter((p) => p.column && p.op !== "neq" && p.op !== "like");
  const atoms: string[] = [];
  const n = chance(r, 0.7) ? 1 : 2;
  for (let i = 0; i < n; i++) {
    let p = fromPattern.length && chance(r, 0.75) ? pick(r, fromPattern) : randomPredicate(r, wide);
    while (!p.column) p = randomPredicate(r, wide);
    const column = p.column;
    const type = columnType(column);
    const choice = r();
    if (type === "bool") {
      const tests = wide ? [`${column} IS TRUE`, `${column} IS FALSE`, `${column} IS NOT TRUE`, `${column} IS NOT FALSE`] : [];
      atoms.push(pick(r, [column, `NOT ${column}`, `${column} = true`, `${column} IS NOT NULL`, `${column} IS NULL`, ...tests]));
    } else if (choice < 0.3) {
      atoms.push(`${column} IS NOT NULL`);
    } else if (choice < 0.4) {
      atoms.push(`${column} IS NULL`);
    } else if (choice < 0.65 && p.value && (p.op === "eq" || p.op === "range")) {
      // The same comparison, or one a little wider or narrower.
      if (type === "int" && p.op === "range") {
        const v = Number(p.value) + pick(r, [-2, 0, 2]);
        atoms.push(`${column} ${p.operator} ${v}`);
      } else atoms.push(`${column} = ${p.value}`);
    } else if (type === "int") {
      const v = pick(r, INT_VALUES);
      atoms.push(pick(r, [`${column} > ${v}`, `${column} <= ${v}`, `${column} = ${v}`, `${column} IN (${v}, ${v + 1})`, `${column} <> ${v}`]));
    } else {
      atoms.push(pick(r, [`${column} = '${pick(r, TEXT_VALUES)}'`, `${column} IS NOT NULL`]));
    }
  }
  if (atoms.length === 2 && chance(r, 0.2)) return `(${atoms[0]} OR ${atoms[1]})`;
  return atoms.join(" AND ");
}

/** The named classes of the wide generator, each a shape the matcher must get right. */
export type DiffShape = "trigram" | "partitioned" | "skip-scan" | "unique-partial";

export interface DiffCase {
  n: number;
  index: IndexSpec;
  pattern: AccessPattern;
  /** A named class (wide runs only); absent for the general random shape. */
  shape?: DiffShape;
  /** The query and index are on the partitioned copy of the table. */
  partitioned?: boolean;
}

function randomIndex(r: Rand, pattern: AccessPattern, wide: boolean): IndexSpec {
  // Build keys mostly from what the query touches, so that every rule gets exercised.
  const touched = [...pattern.predicates, ...pattern.orderBy].map((p) => (p.column ? { column: p.column } : { expression: p.expression! }));
  const count = pick(r, [1, 1, 2, 2, 2, 3]);
  const keys: IndexSpec["keys"] = [];
  const used = new Set<string>();
  for (let i = 0; i < count * 3 && keys.length < count; i++) {
    const t = touched.length && chance(r, 0.7) ? pick(r, touched) : target(r);
    const id = t.column ?? t.expression!;
    if (used.has(id)) continue;
    used.add(id);
    const text = t.expression !== undefined || columnType(t.column!) === "text";
    const key: IndexSpec["keys"][number] = { ...t, descending: chance(r, 0.25) };
    if (chance(r, 0.2)) key.nulls = chance(r, 0.5) ? "first" : "last";
    if (text && chance(r, 0.3)) key.opclass = "text_pattern_ops";
    else if (text && chance(r, 0.15)) key.collation = "C";
    keys.push(key);
  }
  if (wide && keys.length === 1 && chance(r, 0.12)) {
    const k = keys[0];
    return { keys: [{ column: k.column, expression: k.expression, descending: false }], unique: false, method: "hash", where: chance(r, 0.3) ? indexWhere(r, pattern, wide) : null };
  }
  return { keys, unique: chance(r, 0.15), where: chance(r, 0.3) ? indexWhere(r, pattern, wide) : null };
}

function basePattern(predicates: ColumnPredicate[], orderBy: OrderTerm[], limited: boolean): AccessPattern {
  return { table: TABLE_NAME, kind: "select", predicates, hasOr: false, orderBy, limited, joins: [], inLoop: false, source: "sql-in-code", location: loc, suppressions: [] };
}

/** pg_trgm: a GIN or GiST trigram index, and LIKE / ILIKE / `%` / `=` clauses or a `<->` distance order. */
function trigramCase(r: Rand): { index: IndexSpec; pattern: AccessPattern } {
  const method = pick(r, ["gin", "gist"] as const);
  const keyTarget = chance(r, 0.2) ? { expression: "lower(s)" } : { column: pick(r, TEXT_COLUMNS) };
  const index: IndexSpec = { keys: [{ ...keyTarget, opclass: `${method}_trgm_ops`, descending: false }], unique: false, method, where: null };
  const onKey = chance(r, 0.8) ? keyTarget : chance(r, 0.5) ? { column: pick(r, TEXT_COLUMNS) } : { expression: "lower(s)" };
  const predicates: ColumnPredicate[] = [];
  const orderBy: OrderTerm[] = [];
  if (method === "gist" && chance(r, 0.3)) {
    orderBy.push({ distance: { ...onKey, operator: "<->" }, descending: false, nullsFirst: null });
  } else {
    const sentAs = chance(r, 0.4) ? "param" : "literal";
    const kind = pick(r, ["like", "like", "ilike", "prefix", "similar", "similar", "eq"] as const);
    const text = pick(r, TEXT_VALUES);
    if (kind === "like" || kind === "ilike") predicates.push({ ...onKey, op: "like", value: `'%${text}%'`, sentAs, ...(kind === "ilike" ? { caseInsensitive: true } : {}) });
    else if (kind === "prefix") predicates.push({ ...onKey, op: "like-prefix", value: `'${text}%'`, sentAs });
    else if (kind === "similar") predicates.push({ ...onKey, op: "similar", operator: "%", value: `'${text}'`, sentAs });
    else predicates.push({ ...onKey, op: "eq", value: `'${text}'`, sentAs });
  }
  if (chance(r, 0.3)) {
    // Another clause on another column: two on one column may contradict, which real code does not write.
    const extra = randomPredicate(r, true);
    const on = (p: { column?: string; expression?: string }) => p.column ?? p.expression;
    if (predicates.every((p) => on(p) !== on(extra))) predicates.push(extra);
  }
  return { index, pattern: basePattern(predicates, orderBy, orderBy.length > 0 ? chance(r, 0.8) : chance(r, 0.3)) };
}

/** PostgreSQL 18 skip scan: a two-column index whose leading column the query leaves unconstrained. */
function skipScanCase(r: Rand): { index: IndexSpec; pattern: AccessPattern } {
  const [lead, second] = [...INT_COLUMNS].sort(() => r() - 0.5);
  const index: IndexSpec = { keys: [{ column: lead, descending: chance(r, 0.25) }, { column: second, descending: false }], unique: false, where: null };
  const sentAs = chance(r, 0.5) ? "param" : "literal";
  const value = String(pick(r, INT_VALUES));
  const clause = pick(r, [
    { column: second, op: "eq", value, sentAs },
    { column: second, op: "in", sentAs },
    { column: second, op: "range", operator: pick(r, ["<", ">="] as const), value, sentAs },
  ] as ColumnPredicate[]);
  const orderBy: OrderTerm[] = chance(r, 0.4) ? [{ column: lead, descending: index.keys[0].descending, nullsFirst: null }] : [];
  return { index, pattern: basePattern([clause], orderBy, orderBy.length > 0 && chance(r, 0.7)) };
}

function namedCase(r: Rand, shape: DiffShape): { index: IndexSpec; pattern: AccessPattern; partitioned?: boolean } {
  if (shape === "trigram") return trigramCase(r);
  if (shape === "skip-scan") return skipScanCase(r);
  let pattern = randomCase(r, true);
  // Partition pruning refutes contradictory clauses (`s IS NULL AND lower(s) = 'x'`, `a < 0 AND a > 7`) and
  // reads no partition at all; real code does not write them, so the partitioned class leaves them out.
  while (shape === "partitioned" && selfContradictory(pattern)) pattern = randomCase(r, true);
  const index = randomIndex(r, pattern, true);
  if (shape === "unique-partial") return { pattern, index: { ...index, method: undefined, unique: true, where: indexWhere(r, pattern, true) } };
  // A unique index on a partitioned table must hold the partition key; these are plain ones.
  return { pattern, index: { ...index, unique: false }, partitioned: true };
}

function selfContradictory(pattern: AccessPattern): boolean {
  const columnOf = (p: ColumnPredicate) => p.column ?? /\((\w+)\)/.exec(p.expression ?? "")?.[1];
  return pattern.predicates.some((p, i) =>
    pattern.predicates.some((q, j) => i !== j && columnOf(p) === columnOf(q) && (p.op === "is-null" || (p.op === "range" && q.op === "range"))),
  );
}

export interface GenerateOptions {
  /**
   * Also hash indexes, range comparisons and IS NOT NULL on text columns and expressions. Off by
   * default, so that a seed keeps giving the same cases; the bench's `--wide` runs turn it on.
   */
  wide?: boolean;
}

export function generateCases(count: number, seed: number, options: GenerateOptions = {}): DiffCase[] {
  const wide = options.wide ?? false;
  const r = prng(seed);
  const cases: DiffCase[] = [];
  for (let n = 0; n < count; n++) {
    // A quarter of the wide cases are the named classes, in turn.
    if (wide && chance(r, 0.25)) {
      const shape = pick(r, SHAPES);
      const named = namedCase(r, shape);
      cases.push({ n, index: named.index, pattern: named.pattern, shape, ...(named.partitioned ? { partitioned: true } : {}) });
      continue;
    }
    const pattern = randomCase(r, wide);
    cases.push({ n, index: randomIndex(r, pattern, wide), pattern });
  }
  return cases;
}

const SHAPES: readonly DiffShape[] = ["trigram", "partitioned", "skip-scan", "unique-partial"];

/** A random query on the table: up to three predicates, sometimes an ORDER BY, sometimes a LIMIT. */
function randomCase(r: Rand, wide: boolean): AccessPattern {
  {
    const predicates: ColumnPredicate[] = [];
    const np = pick(r, [0, 1, 1, 2, 2, 3]);
    for (let i = 0; i < np; i++) {
      const p = randomPredicate(r, wide);
      // Two equalities on one column are a contradiction the planner folds to `false`; real code does not write them.
      const same = predicates.find((q) => (q.column ?? q.expression) === (p.column ?? p.expression));
      if (same && !(same.op === "range" && p.op === "range")) continue;
      predicates.push(p);
    }
    const orderBy: OrderTerm[] = [];
    if (np === 0 || chance(r, 0.3)) {
      const no = pick(r, [1, 1, 2]);
      for (let i = 0; i < no; i++) orderBy.push(randomOrder(r));
    }
    return basePattern(predicates, orderBy, orderBy.length > 0 ? chance(r, 0.7) : chance(r, 0.3));
  }
}

// ---------------------------------------------------------------- running cases

export interface CaseOutcome {
  case: DiffCase;
  sql: string;
  indexSql: string;
  planner: Verdict;
  matcher: Verdict;
  /** The matcher declined to judge (its answer depends on something outside the schema model). */
  declined: string | null;
  reason: string;
  plan: string;
}

export interface DiffSummary {
  cases: number;
  agreed: number;
  declined: number;
  disagreements: CaseOutcome[];
  byVerdict: Record<Verdict, number>;
  outcomes: CaseOutcome[];
  ms: number;
}

export async function setupDiffTable(db: PGlite): Promise<void> {
  await db.exec(`DROP TABLE IF EXISTS ${TABLE_NAME}; DROP TABLE IF EXISTS ${PARTITIONED_TABLE}; CREATE EXTENSION IF NOT EXISTS pg_trgm; ${CREATE_TABLE_SQL}; ${CREATE_PARTITIONED_SQL};`);
  await preparePlanner(db);
}

/** Runs each case in its own transaction (index created, plan read, rolled back) on one table. */
export async function runCases(
  db: PGlite,
  cases: DiffCase[],
  matchIndex: (table: Table, index: Index, pattern: AccessPattern) => { verdict: Verdict; reason: string; uncertain?: string },
): Promise<DiffSummary> {
  const started = performance.now();
  await setupDiffTable(db);
  const outcomes: CaseOutcome[] = [];
  for (const c of cases) {
    const name = `diff_ix`;
    const table = c.partitioned ? PARTITIONED_TABLE : TABLE_NAME;
    const indexSql = createIndexSql(name, c.index, table);
    const model = indexModel(name, c.index);
    const leading = c.index.keys[0].column ?? c.index.keys[0].expression!;
    const match = matchIndex(tableModel([model], c.partitioned), model, c.pattern);
    await db.exec("BEGIN");
    let answer: PlannerAnswer;
    try {
      await db.exec(indexSql);
      // On a partitioned table each partition is read through its own copy of the index.
      const names = [name, ...(await db.query<{ relname: string }>(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${name}'::regclass`)).rows.map((x) => x.relname)];
      answer = plannerVerdict(await explainPattern(db, c.pattern, table), names, leading, c.pattern, c.index.where !== null);
      if (answer.byOrder) {
        // When `= value` fixes every ORDER BY column there is nothing to sort, whatever the index.
        await db.exec(`DROP INDEX ${name}`);
        if (!planSorts(await explainPattern(db, c.pattern, table))) {
          answer = { ...answer, verdict: "partial" };
        }
      }
    } finally {
      await db.exec("ROLLBACK");
    }
    outcomes.push({
      case: c,
      sql: renderPattern(c.pattern, table).sql,
      indexSql,
      planner: answer.verdict,
      matcher: match.verdict,
      declined: match.uncertain ?? null,
      reason: match.reason,
      plan: answer.plan,
    });
  }
  const judged = outcomes.filter((o) => o.declined === null);
  const byVerdict: Record<Verdict, number> = { served: 0, partial: 0, "not-served": 0 };
  for (const o of outcomes) byVerdict[o.planner]++;
  return {
    cases: outcomes.length,
    agreed: judged.filter((o) => o.planner === o.matcher).length,
    declined: outcomes.length - judged.length,
    disagreements: judged.filter((o) => o.planner !== o.matcher),
    byVerdict,
    outcomes,
    ms: Math.round(performance.now() - started),
  };
}

export function describeOutcome(o: CaseOutcome): string {
  return `#${o.case.n} planner=${o.planner} matcher=${o.matcher}\n  ${o.indexSql}\n  ${o.sql}\n  matcher: ${o.reason}\n  plan: ${o.plan.slice(0, 600)}`;
}
