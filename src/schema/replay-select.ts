// What a SELECT yields, as far as the model can tell without running it: its output columns
// (names as the server gives them, FigureColname; types where the expression fixes them), and
// whether it reads one table through plain column references, so a view over it can be seen through.
import type { Table, View } from "../core/types.js";
import { nodeKind, stringList, stringOf } from "./ast.js";
import { figureColumnName } from "./naming.js";
import type { ReplayState } from "./replay-state.js";
import { formatTypeName } from "./type-name.js";

/** One output column; `type` is "unknown" when the expression does not fix it for the model. */
export interface OutputColumn {
  name: string;
  type: string;
}

export interface SelectOutput {
  columns: OutputColumn[];
  /** False when some column could not be named (`*` over a relation outside the model). */
  complete: boolean;
}

/** A relation in FROM: its name or alias, and its columns when known. */
interface ScopeItem {
  alias: string;
  columns: OutputColumn[] | null;
}

const UNKNOWN = "unknown";

/** Aggregates of PostgreSQL's catalog most often met in views (pg_aggregate). */
const AGGREGATES = new Set([
  "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every",
  "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "bit_and", "bit_or", "xmlagg",
  "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "percentile_cont",
  "percentile_disc", "mode", "any_value", "range_agg", "range_intersect_agg",
]);

/** Set-returning functions: in a target list they change how many rows the view has. */
const SET_RETURNING = new Set([
  "unnest", "generate_series", "generate_subscripts", "jsonb_array_elements", "json_array_elements",
  "jsonb_array_elements_text", "json_array_elements_text", "jsonb_each", "json_each", "jsonb_each_text",
  "json_each_text", "jsonb_object_keys", "json_object_keys", "regexp_matches", "regexp_split_to_table",
  "string_to_table", "jsonb_to_recordset", "json_to_recordset", "jsonb_path_query",
]);

function viewColumns(view: View): OutputColumn[] {
  return view.columns.map((c) => ({ name: c.name, type: c.type }));
}

function tableColumns(table: Table): OutputColumn[] {
  return table.columns.map((c) => ({ name: c.name, type: c.type }));
}

/** The relations of a FROM item, flattened through joins. */
function scopeOf(r: ReplayState, item: any): ScopeItem[] {
  const [kind, node] = nodeKind(item);
  switch (kind) {
    case "RangeVar": {
      const alias = node.alias?.aliasname ?? node.relname;
      const table = r.resolve(node);
      if (table) return [{ alias, columns: tableColumns(table) }];
      const view = r.resolveView(node);
      return [{ alias, columns: view ? viewColumns(view) : null }];
    }
    case "JoinExpr":
      // USING and NATURAL merge columns for `*`; the model does not follow that.
      if (node.usingClause || node.isNatural) return [...scopeOf(r, node.larg), ...scopeOf(r, node.rarg)].map((s) => ({ ...s, columns: null }));
      return [...scopeOf(r, node.larg), ...scopeOf(r, node.rarg)];
    case "RangeSubselect": {
      const inner = node.subquery?.SelectStmt ? selectOutput(r, node.subquery.SelectStmt) : null;
      return [{ alias: node.alias?.aliasname ?? "", columns: inner?.complete ? inner.columns : null }];
    }
    default:
      return [{ alias: node?.alias?.aliasname ?? "", columns: null }];
  }
}

function lookupColumn(scope: ScopeItem[], fields: string[]): OutputColumn | undefined {
  const name = fields[fields.length - 1];
  const candidates = fields.length >= 2 ? scope.filter((s) => s.alias === fields[fields.length - 2]) : scope;
  for (const item of candidates) {
    const column = item.columns?.find((c) => c.name === name);
    if (column) return column;
  }
  return undefined;
}

const COMPARISON = new Set(["=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*", "~", "~*"]);

/** The type an expression has when the model can tell; "unknown" otherwise. */
function typeOf(node: any, scope: ScopeItem[]): string {
  const [kind, value] = nodeKind(node);
  switch (kind) {
    case "ColumnRef":
      return lookupColumn(scope, stringList(value.fields))?.type ?? UNKNOWN;
    case "TypeCast":
      return formatTypeName(value.typeName);
    case "A_Const":
      if (value.isnull) return "text";
      if (value.ival !== undefined) return "integer";
      if (value.fval !== undefined) return "numeric";
      if (value.boolval !== undefined) return "boolean";
      if (value.sval !== undefined) return "text";
      return UNKNOWN;
    case "BoolExpr":
    case "NullTest":
    case "BooleanTest":
      return "boolean";
    case "A_Expr":
      return value.kind === "AEXPR_OP" && COMPARISON.has(stringOf(value.name?.[value.name.length - 1]) ?? "") ? "boolean" : UNKNOWN;
    case "SubLink":
      return value.subLinkType === "EXISTS_SUBLINK" ? "boolean" : UNKNOWN;
    case "CoalesceExpr":
      return typeOf(value.args?.[0], scope);
    case "CollateClause":
      return typeOf(value.arg, scope);
    case "FuncCall": {
      const name = stringOf(value.funcname?.[value.funcname.length - 1]);
      if (name === "count") return "bigint";
      if (name === "now") return "timestamp with time zone";
      return UNKNOWN;
    }
    case "SQLValueFunction":
      if (value.op === "SVFOP_CURRENT_TIMESTAMP") return "timestamp with time zone";
      if (value.op === "SVFOP_CURRENT_DATE") return "date";
      return UNKNOWN;
    default:
      return UNKNOWN;
  }
}

/** The output columns of a SELECT (or VALUES, or a set operation: its first branch names them). */
export function selectOutput(r: ReplayState, select: any): SelectOutput {
  if (select.op && select.op !== "SETOP_NONE") {
    const left = selectOutput(r, select.larg ?? {});
    return { columns: left.columns.map((c) => ({ name: c.name, type: UNKNOWN })), complete: left.complete };
  }
  if (select.valuesLists) {
    const first = select.valuesLists[0]?.List?.items ?? [];
    return { columns: first.map((item: any, i: number) => ({ name: `column${i + 1}`, type: typeOf(item, []) })), complete: true };
  }
  const scope = (select.fromClause ?? []).flatMap((item: any) => scopeOf(r, item));
  const columns: OutputColumn[] = [];
  let complete = true;
  for (const target of select.targetList ?? []) {
    const res = target.ResTarget ?? {};
    const fields: any[] = res.val?.ColumnRef?.fields ?? [];
    if (fields.length > 0 && fields[fields.length - 1].A_Star) {
      const qualifier = stringList(fields.slice(0, -1));
      const items = qualifier.length > 0 ? scope.filter((s: ScopeItem) => s.alias === qualifier[qualifier.length - 1]) : scope;
      for (const item of items) {
        if (item.columns) columns.push(...item.columns.map((c: OutputColumn) => ({ ...c })));
        else complete = false;
      }
      if (items.length === 0) complete = false;
      continue;
    }
    columns.push({ name: res.name ?? figureColumnName(res.val), type: typeOf(res.val, scope) });
  }
  return { columns, complete };
}

/** How a view reads its one base relation, or why the model cannot see through it. */
export type SeeThrough =
  | { ok: true; relation: any; alias: string; targets: Array<{ name: string; baseColumn: string | null } | "*"> }
  | { ok: false; reason: string };

function walk(node: unknown, visit: (node: Record<string, any>) => boolean | void): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (!node || typeof node !== "object") return;
  if (visit(node as Record<string, any>) === false) return;
  for (const value of Object.values(node)) if (value && typeof value === "object") walk(value, visit);
}

/** Aggregates, window functions and set-returning functions in the target list (not inside subqueries). */
function targetListKind(targets: unknown): string | null {
  let found: string | null = null;
  walk(targets, (node) => {
    if (node.SubLink) return false;
    const call = node.FuncCall;
    if (!call) return;
    const name = stringOf(call.funcname?.[call.funcname.length - 1]) ?? "";
    if (call.over) found ??= "window functions";
    else if (call.agg_star || call.agg_distinct || call.agg_filter || call.agg_within_group || AGGREGATES.has(name)) found ??= "aggregates";
    else if (SET_RETURNING.has(name)) found ??= "set-returning functions";
  });
  return found;
}

/** Whether a view's query is one relation filtered and projected, as PostgreSQL flattens into the outer query. */
export function seeThrough(select: any): SeeThrough {
  if (select.op && select.op !== "SETOP_NONE") return { ok: false, reason: select.op.replace("SETOP_", "") };
  if (select.valuesLists) return { ok: false, reason: "VALUES" };
  if (select.withClause) return { ok: false, reason: "a WITH query" };
  if (select.distinctClause) return { ok: false, reason: "DISTINCT" };
  if (select.groupClause || select.havingClause) return { ok: false, reason: "GROUP BY" };
  const kind = targetListKind(select.targetList);
  if (kind) return { ok: false, reason: kind };
  if (select.limitCount || select.limitOffset) return { ok: false, reason: "LIMIT" };
  const from: any[] = select.fromClause ?? [];
  if (from.length === 0) return { ok: false, reason: "no table" };
  if (from.length > 1 || from[0].JoinExpr) return { ok: false, reason: "a join of several tables" };
  const relation = from[0].RangeVar;
  if (!relation) return { ok: false, reason: from[0].RangeSubselect ? "a subquery in FROM" : "a function in FROM" };
  const alias: string = relation.alias?.aliasname ?? relation.relname;
  const targets: Array<{ name: string; baseColumn: string | null } | "*"> = [];
  for (const target of select.targetList ?? []) {
    const res = target.ResTarget ?? {};
    const fields: any[] = res.val?.ColumnRef?.fields ?? [];
    const names = stringList(fields);
    if (fields.length > 0 && fields[fields.length - 1].A_Star) {
      targets.push("*");
      continue;
    }
    const plain = fields.length > 0 && names.length === fields.length && (names.length === 1 || names[names.length - 2] === alias);
    targets.push({ name: res.name ?? figureColumnName(res.val), baseColumn: plain ? names[names.length - 1] : null });
  }
  return { ok: true, relation, alias, targets };
}
