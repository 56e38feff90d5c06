// Queries the static matcher calls served that the planner still answers by reading the whole table.
//
// The matcher (src/advisor/match.ts) follows the planner's rules for which index can serve a query,
// but not its costs: an index whose leading column has three values is usable, and the planner
// still prefers a Seq Scan for it. The verify stage plans every such query as the client sends it
// (generic plan for bound parameters) at the table's planned size and reports those the planner
// answers with a Seq Scan, or with a full index scan that checks every row (no Index Cond, a Filter).
// Queries the matcher declines on purpose (no selective predicate and no ORDER BY ... LIMIT, such as
// a whole-table aggregate or `status <> $1`: coverage.ts indexWorthy) are the planner's call and are
// not reported.
import type { PGlite } from "@electric-sql/pglite";
import { castOnIndexedColumn, indexWorthy, lowCardinality, selectivePredicates } from "../advisor/coverage.js";
import { indexesOf, matchPattern } from "../advisor/match.js";
import { adviseTable, describePattern } from "../advisor/recommend.js";
import type { AccessPattern, Evidence, Finding, FindingDraft, Index, Location, PlanShape, Schema, Table } from "../core/types.js";
import { findPatternTable, qualifiedTableName } from "../schema/lookup.js";
import { platformOwned } from "../rules/table-evidence.js";
import { tableRef } from "../rules/sql-text.js";
import { siteName } from "../core/findings.js";
import { gatherEvidence } from "./evidence.js";
import { planNodes, planShape, shapeText, type PlanNode } from "./plan.js";
import { explainGeneric, patternSql } from "./query-sql.js";
import { restoreStats, type TableScale } from "./scale.js";

/** Rows from which reading a whole table matters (the mark query-index uses for a large table). */
export const OVERRULE_MIN_ROWS = 100_000;

/** A query the matcher calls served and the planner reads whole: the disagreement, for the report. */
export interface OverruledCase {
  /** Schema-qualified table. */
  table: string;
  /** The call sites that send this query (first one first). */
  locations: Location[];
  functionName?: string;
  /** The query as planned. */
  query: string;
  /**
   * The index the matcher judged to serve the query, and how (match.ts access); access `none` when it
   * judged the query unserved but recommended nothing because a new index would repeat this one's keys.
   */
  index: string;
  access: string;
  rows: number;
  hinted: boolean;
  /** The plan the planner chose. */
  plan: PlanShape;
  /** The index the recommender gives instead, when the planner uses it; absent when there is none. */
  recommended?: string;
  /** The finding's id, once findings are finished. */
  id?: string;
}

export interface OverruledOutcome {
  cases: OverruledCase[];
  drafts: FindingDraft[];
  explainMs: number[];
}

/** The query as it always runs: filters added only on some code paths cannot be relied on (as query-index reads it). */
function unconditional(pattern: AccessPattern): AccessPattern {
  if (!pattern.predicates.some((p) => p.conditional)) return pattern;
  return { ...pattern, predicates: pattern.predicates.filter((p) => !p.conditional) };
}

/** Read as the matcher reads it: a query an index could help with that the matcher did not decline. */
function candidate(pattern: AccessPattern): boolean {
  if (pattern.kind === "insert" || pattern.kind === "upsert") return false;
  if (pattern.suppressions.some((s) => s.rule === "query-index")) return false;
  if (pattern.hasOr && pattern.predicates.length === 0) return false;
  return indexWorthy(pattern);
}

const sameSite = (a: Location, b: Location) => a.file === b.file && a.line === b.line && a.column === b.column;

/** The node that reads the whole table, when the plan has one: a Seq Scan, or an index scan with no Index Cond that filters every row. */
export function wholeTableScan(plan: unknown, relation: string): PlanNode | null {
  for (const n of planNodes(plan)) {
    if (n["Relation Name"] !== relation) continue;
    if (n["Node Type"] === "Seq Scan") return n;
    if ((n["Node Type"] === "Index Scan" || n["Node Type"] === "Index Only Scan") && !n["Index Cond"] && n.Filter) return n;
  }
  return null;
}

interface Group {
  table: Table;
  scale: TableScale;
  sql: string;
  patterns: AccessPattern[];
  index: string;
  access: string;
  served: boolean;
}

/** The existing index that leads with a column the query selects by: the one a new index on it would repeat. */
function repeatedIndex(table: Table, pattern: AccessPattern): Index | undefined {
  const columns = new Set(selectivePredicates(pattern).map((p) => p.column).filter((c): c is string => !!c));
  return indexesOf(table).find((i) => i.keys[0]?.column !== undefined && columns.has(i.keys[0].column));
}

/**
 * Plans each query of the set that no query-index finding covers and for which the matcher names an
 * index (the one it calls serving, or the one a recommendation would repeat), on a table planned at
 * OVERRULE_MIN_ROWS or more. Returns a query-index finding draft for each one the planner reads whole,
 * with the index the recommender gives when the planner uses it, and the EXPLAIN round trips in ms.
 */
export async function findOverruled(
  db: PGlite,
  schema: Schema,
  patterns: readonly AccessPattern[],
  findings: readonly Finding[],
  scales: readonly TableScale[],
  planner: string,
): Promise<OverruledOutcome> {
  const explainMs: number[] = [];
  const covered = findings.filter((f) => f.rule === "query-index").flatMap((f) => [f.location, ...(f.related ?? [])]);
  const groups = new Map<string, Group>();
  for (const raw of patterns) {
    const pattern = unconditional(raw);
    if (!candidate(pattern)) continue;
    if (covered.some((l) => sameSite(l, raw.location))) continue;
    const table = findPatternTable(schema, pattern);
    if (!table || platformOwned(table)) continue;
    const scale = scales.find((s) => s.schema === table.schema && s.name === table.name);
    if (!scale || scale.problem || scale.rows < OVERRULE_MIN_ROWS) continue;
    if (castOnIndexedColumn(table, pattern)) continue;
    // Only boolean filters (coverage.ts lowCardinality) and no ORDER BY ... LIMIT: narrowing little is the planner's call.
    if (!(pattern.orderBy.length > 0 && pattern.limited) && selectivePredicates(pattern).every((q) => lowCardinality(table, q))) continue;
    // The index the matcher relies on: the one it judges to serve the query, or, when it recommends
    // nothing although the query is unserved, the existing index whose keys its recommendation would repeat.
    const match = matchPattern(table, pattern);
    const relied = match.best?.index ?? repeatedIndex(table, pattern);
    if (!relied) continue;
    const sql = patternSql(pattern, tableRef(table.schema, table.name));
    const key = `${table.schema}.${table.name}\n${sql}`;
    const group = groups.get(key);
    if (group) group.patterns.push(pattern);
    else groups.set(key, { table, scale, sql, patterns: [pattern], index: relied.name, access: match.best?.access ?? "none", served: match.verdict === "served" });
  }

  const cases: OverruledCase[] = [];
  const drafts: FindingDraft[] = [];
  const takenNames = new Set(schema.tables.flatMap((t) => t.indexes.map((i) => i.name)));
  const restored = new Set<TableScale>();
  for (const g of groups.values()) {
    // Building an index, even in a transaction rolled back since, writes the heap's real counts into
    // pg_class in place (index_update_stats): the declared size is put back before planning.
    if (!restored.has(g.scale)) {
      await restoreStats(db, g.scale);
      restored.add(g.scale);
    }
    const started = performance.now();
    let plan: unknown;
    try {
      plan = await explainGeneric(db, g.sql);
    } catch {
      continue; // a query PostgreSQL cannot plan is no disagreement about indexes
    } finally {
      explainMs.push(performance.now() - started);
    }
    const scan = wholeTableScan(plan, g.table.name);
    if (!scan) continue;
    const shape = planShape(plan, g.table.name);
    const qualified = qualifiedTableName(g.table);
    const overruled: OverruledCase = {
      table: qualified,
      locations: g.patterns.map((p) => p.location),
      ...(g.patterns[0].functionName ? { functionName: g.patterns[0].functionName } : {}),
      query: g.sql,
      index: g.index,
      access: g.access,
      rows: g.scale.rows,
      hinted: g.scale.hinted,
      plan: shape,
    };
    // The recommender's index for this query alone, as if the index the planner ignores were not there.
    const without: Table = { ...g.table, indexes: g.table.indexes.filter((i) => i.name !== g.index) };
    const rec = adviseTable(without, [g.patterns[0]], { takenNames, schema }).recommendations[0];
    let evidence: Evidence | undefined;
    if (rec && !sameKeys(rec, g.table, g.index)) {
      const probe = { table: qualified, fix: { sql: rec.sql } } as Finding;
      const outcome = await gatherEvidence(db, probe, [g.sql], g.scale, planner);
      explainMs.push(...outcome.explainMs);
      restored.delete(g.scale);
      if (outcome.evidence?.usesIndex) {
        evidence = outcome.evidence;
        overruled.recommended = rec.name;
        takenNames.add(rec.name);
      }
    }
    cases.push(overruled);
    drafts.push(overruledDraft(g, overruled, scan, rec && evidence ? { name: rec.name, sql: rec.sql, evidence } : null));
  }
  return { cases, drafts, explainMs };
}

/** The recommendation is the ignored index again (same keys, same WHERE): no better index exists. */
function sameKeys(rec: NonNullable<ReturnType<typeof adviseTable>["recommendations"][number]>, table: Table, name: string): boolean {
  const existing = table.indexes.find((i) => i.name === name);
  if (!existing) return false;
  const label = (k: { column?: string; expression?: string; opclass?: string; collation?: string }) =>
    `${k.column ?? k.expression ?? ""} ${k.collation?.toLowerCase() ?? "default"} ${k.opclass ?? ""}`;
  return existing.keys.map(label).join(",") === rec.keys.map(label).join(",") && (existing.where ?? null) === (rec.where ?? null);
}

function overruledDraft(g: Group, c: OverruledCase, scan: PlanNode, rec: { name: string; sql: string; evidence: Evidence } | null): FindingDraft {
  const rows = c.rows.toLocaleString("en-US");
  const size = c.hinted ? `${rows} rows` : `${rows} rows (the default size; no size hint)`;
  const who = c.functionName ? `\`${c.functionName}()\`` : `The query at ${siteName(c.locations[0])}`;
  const what = describePattern(g.patterns[0]) || "its ORDER BY";
  const how = scan["Node Type"] === "Seq Scan" ? "a Seq Scan" : `a full scan of ${scan["Index Name"]} that filters every row`;
  const matched = scan["Plan Rows"] !== undefined ? ` It expects ${Math.round(scan["Plan Rows"]).toLocaleString("en-US")} of ${rows} rows to match.` : "";
  const judged = g.served ? `looks served by ${c.index}` : `gets no recommendation because ${c.index} has the same keys`;
  const message =
    `${who} on \`${g.table.name}\` (${what}) ${judged}, but the planner does not use ${c.index} for this query at ${rows} rows: it reads the table with ${how}.` +
    (rec ? ` Add ${rec.name}, which it does use.` : " No index the recommender can build does better.");
  const paragraphs = [
    `PostgreSQL 18's planner, planning the query as the client sends it (generic plan for bound parameters) at ${size}: ${shapeText(c.plan)}.${matched}`,
    "```sql\n" + c.query + "\n```",
    rec
      ? `With ${rec.name}: ${shapeText(rec.evidence.after)} (checked in a rolled-back transaction).`
      : `The recommender's index for this query is ${c.index} itself, or one the planner does not use either: the filter narrows too little for an index to pay, so the query reads the table whatever is built. Narrow the query (a more selective filter, a LIMIT), or leave it if it runs rarely.`,
  ];
  return {
    rule: "query-index",
    severity: c.hinted ? "routine" : "noted",
    title: "Index the planner does not use",
    table: c.table,
    columns: [...new Set(g.patterns[0].predicates.map((p) => p.column ?? p.expression ?? "?"))],
    message,
    location: c.locations[0],
    related: c.locations.slice(1),
    ...(rec ? { fix: { sql: rec.sql } } : {}),
    details: paragraphs.join("\n\n"),
    key: `overruled:${c.index}:${c.query}`,
    ...(rec ? { evidence: rec.evidence } : {}),
  };
}
