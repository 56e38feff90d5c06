// Questions about SQL expression trees (libpg-query nodes) that need no table scope: their text, whether
// an index could hold them, and what an ORDER BY item refers to.
import { deparseNode } from "../sql/parser.js";
import { NEVER_INDEXABLE_FUNCTIONS } from "./builtin-functions.js";

export type Node = Record<string, any>;

/** Visits every node depth-first; `visit` returns false to skip a node's children. */
export function walk(node: unknown, visit: (n: Node) => boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== "object") return;
  if (!visit(node as Node)) return;
  for (const value of Object.values(node as Node)) {
    if (value && typeof value === "object") walk(value, visit);
  }
}

/** An A_Const as SQL literal text (`'x'`, `10`, `true`, `NULL`). */
export function constText(node: Node): string {
  const c = node.A_Const;
  if (c.isnull) return "NULL";
  if (c.sval) return `'${String(c.sval.sval ?? "").replace(/'/g, "''")}'`;
  if (c.boolval) return c.boolval.boolval ? "true" : "false";
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return String(c.fval.fval);
  return exprText(node);
}

/** SQL text of an expression with table qualifiers removed, the way an index expression is written. */
export function exprText(node: Node): string {
  const copy = structuredClone(node);
  walk(copy, (n) => {
    if (n.ColumnRef?.fields?.length > 1) n.ColumnRef.fields = n.ColumnRef.fields.slice(-1);
    return true;
  });
  try {
    return deparseNode(copy);
  } catch {
    return "?";
  }
}

/** An A_Expr's operator (`=`, `<`, `~~`), without its schema. */
export function opName(expr: Node): string {
  const names = expr.name ?? [];
  return names.length ? names[names.length - 1].String?.sval ?? "" : "";
}

/** `'abc%'`: a fixed prefix, then one trailing wildcard. */
export function isPrefixPattern(literal: string): boolean {
  const m = /^'(.*)'$/s.exec(literal);
  if (!m) return false;
  const body = m[1];
  if (!body.endsWith("%") || body.length < 2) return false;
  const prefix = body.slice(0, -1);
  return !/[%_\\]/.test(prefix);
}

/**
 * PostgreSQL's system columns (SystemAttributeDefinitions in heap.c). No index can hold one, alone or in
 * an expression ("index creation on system columns is not supported"), and no user column has their names.
 */
const SYSTEM_COLUMNS = new Set(["ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"]);

export function isSystemColumn(name: string | undefined): boolean {
  return name !== undefined && SYSTEM_COLUMNS.has(name);
}

const AGGREGATE_MARKS = ["over", "agg_star", "agg_distinct", "agg_filter", "agg_order", "agg_within_group"];

/**
 * False when no index could have this expression as a key, whatever the column types, so it is no
 * predicate or sort key to advise on: it calls an aggregate or window function (`count(id)`,
 * `row_number() OVER ()`), a set-returning function or one with no IMMUTABLE overload (`now()`,
 * `random()`; see builtin-functions.ts), reads CURRENT_TIMESTAMP and the like, or holds a subquery,
 * a parameter, a value from outside the query (`isValue`: a variable, a correlated reference) or a
 * system column. CREATE INDEX refuses every one of them (PostgreSQL docs, CREATE INDEX: "All functions
 * and operators used in an index definition must be immutable"; ComputeIndexAttrs() in indexcmds.c).
 * Functions whose volatility depends on the argument types are left to the advisor.
 */
export function indexableExpression(node: Node, isValue: (columnRef: Node) => boolean): boolean {
  let indexable = true;
  walk(node, (n) => {
    if (!indexable) return false;
    if (n.SubLink || n.SQLValueFunction || n.GroupingFunc || n.ParamRef) indexable = false;
    else if (n.ColumnRef && isValue(n)) indexable = false;
    else if (n.ColumnRef && isSystemColumn(n.ColumnRef.fields?.[n.ColumnRef.fields.length - 1]?.String?.sval)) indexable = false;
    else if (n.FuncCall) {
      const call = n.FuncCall;
      const names: string[] = (call.funcname ?? []).map((f: Node) => f.String?.sval ?? "");
      const builtin = names.length === 1 || (names.length === 2 && names[0] === "pg_catalog");
      if (AGGREGATE_MARKS.some((mark) => call[mark])) indexable = false;
      else if (builtin && NEVER_INDEXABLE_FUNCTIONS.has(names[names.length - 1])) indexable = false;
    }
    return indexable;
  });
  return indexable;
}

/**
 * What an ORDER BY item sorts by, as PostgreSQL reads it (findTargetlistEntrySQL92() in
 * parse_clause.c): a bare name that is an output column's name (`AS "cutoff"`) is that output
 * column's expression, even when a table column has the same name; an integer constant is the output
 * column at that position. Anything else is an expression over the input columns. Undefined when
 * the item names an output column the statement does not spell out (`*`), or ambiguously.
 */
export function sortExpression(node: Node, targetList: Node[]): Node | undefined {
  const fields = node?.ColumnRef?.fields;
  if (fields?.length === 1 && fields[0].String) {
    const name = fields[0].String.sval;
    const named = targetList.filter((t) => t.ResTarget?.name === name).map((t) => t.ResTarget.val);
    if (named.length === 0) return node;
    const [first] = named;
    // Two output columns of one name: PostgreSQL accepts it only when they are the same expression.
    return named.every((v) => JSON.stringify(stripLocations(v)) === JSON.stringify(stripLocations(first))) ? first : undefined;
  }
  const position = node?.A_Const?.ival;
  if (position !== undefined) {
    const n = Number(position.ival ?? 0);
    const before = targetList.slice(0, n);
    if (n < 1 || n > targetList.length || before.some((t) => hasStar(t.ResTarget?.val))) return undefined;
    return targetList[n - 1].ResTarget?.val;
  }
  return node;
}

function hasStar(node: Node | undefined): boolean {
  return Boolean(node?.ColumnRef?.fields?.some((f: Node) => f.A_Star));
}

function stripLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== "location").map(([k, v]) => [k, stripLocations(v)]));
}
