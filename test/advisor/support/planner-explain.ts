// The differential test's machinery: generated (index, access pattern) cases, the SQL each pattern
// stands for, and the real planner's verdict read from EXPLAIN (FORMAT JSON) in PGlite.
//
// What counts as "the planner serves it with this index" (enable_seqscan, enable_sort and
// enable_incremental_sort off, so any usable index path beats a disabled seq scan or sort):
//   served      a scan node on the index whose Index Cond names the index's leading key; or, for a
//               partial index, a scan of it with neither Index Cond nor Filter (the WHERE is the whole
//               filter: every entry read is a wanted row, whatever the ORDER BY); or, for a query with
//               ORDER BY and LIMIT, a plan on the index with no Sort node, provided the query needs a
//               sort at all (without the index its plan sorts: `= value` on every ORDER BY column
//               leaves nothing to sort, and then the missing Sort proves nothing about the index);
//   partial     the index appears in the plan in any other way (skip scan, full scan that filters);
//   not-served  the index does not appear in the plan.
import type { PGlite } from "@electric-sql/pglite";
import type { AccessPattern, ColumnPredicate } from "../../../src/core/types.js";
import type { Verdict } from "../../../src/advisor/match.js";
import { TABLE_NAME, columnType } from "./planner-table.js";

// ---------------------------------------------------------------- pattern -> SQL

export interface RenderedQuery {
  sql: string;
  /** Types of $1..$n, and values to execute with. */
  paramTypes: string[];
  paramValues: string[];
}

function sqlTarget(p: { column?: string; expression?: string }): string {
  return p.column ?? p.expression!;
}

/** SQL type of a column of the differential table. */
export function diffColumnType(column: string): string {
  const type = columnType(column);
  return type === "int" ? "integer" : type === "bool" ? "boolean" : "text";
}

function unquote(v: string): string {
  return v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v;
}

/** The SQL an access pattern stands for, with parameters where the client binds them. */
export function renderPattern(pattern: AccessPattern, table = TABLE_NAME, typeOf: (column: string) => string = diffColumnType): RenderedQuery {
  const paramType = (p: ColumnPredicate) => (p.column ? typeOf(p.column) : "text");
  const paramTypes: string[] = [];
  const paramValues: string[] = [];
  const param = (type: string, value: string) => {
    paramTypes.push(type);
    paramValues.push(value);
    return `$${paramTypes.length}`;
  };
  const where = pattern.predicates.map((p) => {
    const t = sqlTarget(p);
    const param$ = p.sentAs === "param";
    switch (p.op) {
      case "eq":
        return `${t} = ${param$ ? param(paramType(p), unquote(p.value!)) : p.value}`;
      case "neq":
        return `${t} <> ${param$ ? param(paramType(p), unquote(p.value!)) : p.value}`;
      case "range":
        return `${t} ${p.operator} ${param$ ? param(paramType(p), unquote(p.value!)) : p.value}`;
      case "in": {
        const type = paramType(p);
        const numeric = /int|numeric/.test(type);
        if (param$) return `${t} = ANY(${param(`${type}[]`, numeric ? "{1,2}" : "{ab,cd}")})`;
        return `${t} IN (${numeric ? "1, 2" : "'ab', 'cd'"})`;
      }
      case "is-null":
        return `${t} IS NULL`;
      case "is-not-null":
        return `${t} IS NOT NULL`;
      case "bool":
        if (param$) return `${t} = ${param("boolean", p.value ?? "true")}`;
        return p.value === "false" ? `NOT ${t}` : t;
      case "bool-test":
        return `${t} IS ${(p.value ?? "true").toUpperCase()}`;
      case "like-prefix":
      case "like":
        return `${t} ${p.caseInsensitive ? "ILIKE" : "LIKE"} ${param$ ? param("text", unquote(p.value!)) : p.value}`;
      case "similar":
        return `${t} ${p.operator ?? "%"} ${param$ ? param("text", unquote(p.value!)) : p.value}`;
      default:
        throw new Error(`cannot render ${p.op}`);
    }
  });
  let sql = `SELECT * FROM ${table}`;
  if (where.length) sql += ` WHERE ${where.join(" AND ")}`;
  if (pattern.orderBy.length) {
    sql += ` ORDER BY ${pattern.orderBy
      .map((o) => `${o.distance ? `${sqlTarget(o.distance)} ${o.distance.operator} 'ab'` : sqlTarget(o)}${o.descending ? " DESC" : ""}${o.nullsFirst === null ? "" : o.nullsFirst ? " NULLS FIRST" : " NULLS LAST"}`)
      .join(", ")}`;
  }
  if (pattern.limited) sql += " LIMIT 10";
  return { sql, paramTypes, paramValues };
}

// ---------------------------------------------------------------- the planner's verdict

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (n: PlanNode, parent: PlanNode | null) => void, parent: PlanNode | null = null): void {
  visit(node, parent);
  for (const child of node.Plans ?? []) walk(child, visit, node);
}

export interface PlannerAnswer {
  verdict: Verdict;
  plan: string;
  /** Served only because no Sort appears: worth checking that the query needs a sort at all. */
  byOrder?: boolean;
}

/** Does the plan contain a Sort node? */
export function planSorts(planJson: unknown): boolean {
  let sorted = false;
  walk((planJson as Array<{ Plan: PlanNode }>)[0].Plan, (n) => {
    if (n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort") sorted = true;
  });
  return sorted;
}

function mentions(cond: string, leading: string): boolean {
  let text = cond.replace(/'(?:[^']|'')*'/g, "''");
  if (/^[a-z_][a-z0-9_]*$/.test(leading)) {
    // A column inside a function call (`lower(s)`) is the expression's key, not the column's.
    text = text.replace(/[a-z_][a-z0-9_]*\([^()]*\)/g, "#()");
    return new RegExp(`(^|[^a-z0-9_.])${leading}([^a-z0-9_]|$)`).test(text);
  }
  return text.includes(leading);
}

/** Reads the planner's verdict for `indexName` out of an EXPLAIN (FORMAT JSON) result. */
export function plannerVerdict(planJson: unknown, indexName: string | string[], leading: string, pattern: AccessPattern, partialIndex: boolean): PlannerAnswer {
  const names = new Set(Array.isArray(indexName) ? indexName : [indexName]);
  const root = (planJson as Array<{ Plan: PlanNode }>)[0].Plan;
  const scans: PlanNode[] = [];
  let sorted = false;
  let heapFilter = false;
  walk(root, (n, parent) => {
    if (n["Index Name"] !== undefined && names.has(n["Index Name"])) {
      scans.push(n);
      if (parent?.["Node Type"] === "Bitmap Heap Scan" && parent.Filter) heapFilter = true;
    }
    if (n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort") sorted = true;
  });
  const plan = JSON.stringify(root);
  if (scans.length === 0) return { verdict: "not-served", plan };
  if (scans.some((s) => s["Index Cond"] && mentions(s["Index Cond"], leading))) return { verdict: "served", plan };
  // The partial-index rule comes before the ORDER BY rule: a scan of exactly the wanted rows serves the
  // query whether or not it needs a sort, so the byOrder re-check (which can only take "served" back)
  // must not override it.
  if (partialIndex && scans.every((s) => !s["Index Cond"] && !s.Filter) && !heapFilter) return { verdict: "served", plan };
  if (pattern.orderBy.length > 0 && pattern.limited && !sorted) return { verdict: "served", plan, byOrder: true };
  return { verdict: "partial", plan };
}

export async function preparePlanner(db: PGlite): Promise<void> {
  await db.exec(`
    SET enable_seqscan = off;
    SET enable_sort = off;
    SET enable_incremental_sort = off;
    SET plan_cache_mode = force_generic_plan;
  `);
}

let statementCounter = 0;

/** EXPLAIN (FORMAT JSON) of the pattern's query; parameterised ones through PREPARE / EXECUTE (generic plan). */
export async function explainPattern(db: PGlite, pattern: AccessPattern, table = TABLE_NAME, typeOf?: (column: string) => string): Promise<unknown> {
  const q = renderPattern(pattern, table, typeOf);
  if (q.paramTypes.length === 0) {
    const res = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${q.sql}`);
    return res.rows[0]["QUERY PLAN"];
  }
  const name = `diff_q${++statementCounter}`;
  await db.exec(`PREPARE ${name}(${q.paramTypes.join(", ")}) AS ${q.sql}`);
  try {
    const args = q.paramValues.map((v, i) => `'${v.replace(/'/g, "''")}'::${q.paramTypes[i]}`).join(", ");
    const res = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(${args})`);
    return res.rows[0]["QUERY PLAN"];
  } finally {
    await db.exec(`DEALLOCATE ${name}`);
  }
}
