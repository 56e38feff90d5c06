// A LIMIT with no ORDER BY over an open-ended range the client sends as a parameter: the index the
// recommender builds is one a generic plan passes over, unless the query orders by the range column.
//
// In a generic plan PostgreSQL cannot see the bound, so it estimates `col <= $1` as a third of the rows
// (DEFAULT_INEQ_SEL, src/include/utils/selfuncs.h) and an equality on an enum or boolean as 1/ndistinct
// (var_eq_non_const, selfuncs.c). With a LIMIT and that many rows expected, a sequential scan looks as if it
// finds its rows within the first pages (the Limit node charges a fraction of the scan, costsize.c), so
// the planner reads the table and ignores the index, with or without the new one. An ORDER BY on the range
// column changes the comparison: a Seq Scan then needs a Sort of every match, while the index returns the
// rows in order and the LIMIT stops it. Checked against PGlite (PostgreSQL 18) in the planner tests.
import type { AccessPattern, Index, PatternSource, Schema, Table } from "../core/types.js";
import type { PatternMatch } from "./match.js";
import type { FewValued } from "./coverage.js";
import { fieldOf, findModel } from "./declared-model.js";
import type { RecommendedKey, Recommendation } from "./recommend.js";

export interface RangeOrder {
  /** The range column the query should order by (the recommended key's last column). */
  column: string;
  /** Which side the range bounds: `<`/`<=` (upper) or `>`/`>=` (lower). */
  side: "upper" | "lower";
  /** The range's operator as the query writes it. */
  operator: string;
  /** Equality columns of the key whose few values narrow a generic plan's estimate little. */
  enumLike: string[];
  /** The ORDER BY in the client's own syntax (`orderBy: { nextRunAt: 'asc' }`, `.order('next_run_at', { ascending: true })`). */
  code: string;
}

/**
 * For a read the recommended `keys` would serve, the ORDER BY it needs for a generic plan to use them, or
 * null when none is needed. Needed when the read has a LIMIT and no ORDER BY, the key's last column is a
 * range bounded on one side only by a value sent as a parameter (a clock such as `now()` is folded for the
 * estimate, so it is not), and every other filter is one a generic plan estimates as a large share of the
 * rows: an equality or IN on a boolean or an enum (`enumLike`), a `<>`, or an OR (which matches at least as
 * much as its widest branch). An equality on a column of many values (an id) makes the generic estimate
 * small, and the planner uses the index as the query stands; an `IS NULL`, a LIKE or a partial index's WHERE
 * is estimated from the column's statistics, which the audit does not know, so no ORDER BY is claimed then.
 */
export function openRangeOrder(pattern: AccessPattern, keys: readonly RecommendedKey[], table: Table, enumLike: FewValued, schema?: Schema): RangeOrder | null {
  if (pattern.kind !== "select" || !pattern.limited || pattern.orderBy.length > 0 || pattern.countsAll) return null;
  const last = keys[keys.length - 1];
  if (!last?.column) return null;
  const column = last.column;
  const ranges = pattern.predicates.filter((p) => p.op === "range" && p.column === column && !p.conditional);
  if (ranges.length === 0) return null;
  const sides = new Set(ranges.map((p) => (p.operator === "<" || p.operator === "<=" ? "upper" : "lower")));
  if (sides.size !== 1 || !ranges.some((p) => p.sentAs === "param" && p.clock === undefined)) return null;
  if (keys.slice(0, -1).some((k) => !k.column)) return null;
  const keyed = new Set(keys.slice(0, -1).map((k) => k.column!));
  const equalities: string[] = [];
  for (const p of pattern.predicates) {
    if (p.conditional || (p.op === "range" && p.column === column)) continue;
    if (p.op === "neq") continue;
    const wide = (p.op === "eq" || p.op === "in" || p.op === "bool" || p.op === "bool-test") && p.column !== undefined && enumLike(table, p.column);
    if (!wide) return null;
    if (keyed.has(p.column!)) equalities.push(p.column!);
  }
  if (equalities.length !== keyed.size) return null;
  // Ascending: an upper bound reads the longest-due rows first, a lower bound the rows nearest to it.
  return { column, side: [...sides][0] as "upper" | "lower", operator: ranges[0].operator ?? "<=", enumLike: [...new Set(equalities)], code: orderCode(pattern.source, table, column, schema) };
}

/** `ORDER BY column ASC` as the client that sends the query writes it. */
export function orderCode(source: PatternSource, table: Table, column: string, schema?: Schema): string {
  const declared = schema ? findModel(schema, table.schema, table.name) : null;
  const field = declared ? fieldOf(declared.model, column) : undefined;
  switch (source) {
    case "prisma":
      return `orderBy: { ${field ?? column}: 'asc' }`;
    case "drizzle":
      return declared && field && declared.declared.orm === "drizzle" ? `.orderBy(asc(${declared.model.name}.${field}))` : `ORDER BY ${sqlName(column)}`;
    case "supabase-js":
      return `.order('${column}', { ascending: true })`;
    case "kysely":
      return `.orderBy('${column}', 'asc')`;
    default:
      return `ORDER BY ${sqlName(column)}`;
  }
}

function sqlName(column: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(column) ? column : `"${column.replace(/"/g, '""')}"`;
}

/**
 * Why the query needs its ORDER BY (open-range.ts), and what becomes of the index it uses today: one whose
 * first key is the range column, which no other query on the table uses, serves nothing once the query
 * orders by the range and the new index exists. It is not dropped by the fix (a query the audit cannot see
 * may read by that column), but the reader is told.
 */
export function openRangeParagraph(o: RangeOrder, rec: Recommendation, table: Table, matches: Map<AccessPattern, PatternMatch>): string {
  const estimate = o.enumLike.length
    ? `a third of the rows for ${o.column} ${o.operator} $n (PostgreSQL's default for a range whose bound it cannot see), narrowed little by ${o.enumLike.join(", ")}, whose few values it counts as a large share each`
    : `a third of the rows for ${o.column} ${o.operator} $n (PostgreSQL's default for a range whose bound it cannot see)`;
  const paragraph = `The query has a LIMIT and no ORDER BY, and ${o.column} is sent as a parameter. Under a generic plan, which a client binding parameters gets after five executions, the planner estimates ${estimate}; a sequential scan then looks as if it fills the LIMIT within its first pages, so it reads ${table.name} from the start, with or without ${rec.name}. With \`${o.code}\` the index returns the rows in that order and the LIMIT stops the scan, while a sequential scan would have to sort every match first, so the planner uses ${rec.name}.`;
  const used = [...new Set(rec.patterns.map((p) => matches.get(p)?.best?.index).filter((i): i is Index => i !== undefined))];
  const superseded = used.filter(
    (i) =>
      i.constraint === null &&
      !i.unique &&
      i.keys[0]?.column === o.column &&
      !table.foreignKeys.some((fk) => fk.columns[0] === o.column) &&
      ![...matches].some(([p, m]) => !rec.patterns.includes(p) && m.best?.index === i),
  );
  if (superseded.length === 0) return paragraph;
  return `${paragraph} ${superseded.map((i) => i.name).join(", ")} then serves none of the queries found on ${table.name}; drop it once ${rec.name} is in place, unless something else reads ${table.name} by ${o.column} alone.`;
}
