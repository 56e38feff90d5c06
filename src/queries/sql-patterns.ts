// SQL statement AST (libpg-query) -> access patterns, one per table reference.
// Shared by SQL in code, .sql query files, function bodies, views and cron jobs.
import type {
  AccessPattern,
  ColumnPredicate,
  JoinUse,
  Location,
  OrderTerm,
  PatternSource,
  QueryKind,
  RelationName,
  Suppression,
} from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { emptyPattern } from "./pattern.js";
import {
  type Node,
  constText,
  exprText,
  indexableExpression,
  isPrefixPattern,
  isSystemColumn,
  opName,
  sortExpression,
  walk,
} from "./sql-expressions.js";

export { exprText, isPrefixPattern };

export interface SqlPatternContext {
  source: PatternSource;
  /** Where every pattern of the statement is reported (the call site, or the statement's first line). */
  location: Location;
  functionName?: string;
  /** See AccessPattern.cachedBy. */
  cachedBy?: string;
  inLoop?: boolean;
  loop?: { kind: string; line: number };
  /** Bare names that are variables, not columns: PL/pgSQL variables, SQL function parameters. */
  variables?: ReadonlySet<string>;
  suppressions?: Suppression[];
}

/** A table reference in a FROM list, with the name the query uses for it. */
interface TableRef {
  table: string;
  alias: string;
  pattern: AccessPattern;
  /** Position among the FROM items: the later side of a join is its inner side. */
  order: number;
}

/** The tables visible at one query level, plus the enclosing levels (for correlated references). */
interface Scope {
  refs: TableRef[];
  outer: Scope | null;
  /** Names of CTEs visible here: a FROM item with one of these names is not a table. */
  ctes?: Set<string>;
}

function isCte(name: string, scope: Scope | null): boolean {
  for (let s = scope; s; s = s.outer) if (s.ctes?.has(name)) return true;
  return false;
}

/** The level a WITH clause opens: no tables of its own, only the CTE names. */
function withScope(withClause: Node | undefined, outer: Scope | null): Scope | null {
  const names = cteNames(withClause);
  return names.size > 0 ? { refs: [], outer, ctes: names } : outer;
}

const RANGE_OPS = new Set(["<", "<=", ">", ">="]);
const FLIP: Record<string, "<" | "<=" | ">" | ">="> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
const CONTAINS_OPS = new Set(["@>", "<@", "&&"]);
const REGEX_OPS = new Set(["~", "~*", "!~", "!~*", "~~", "~~*", "!~~", "!~~*"]);
/** pg_trgm's similarity operators, each with its commutator (`v <% col` is `col %> v`). */
const SIMILARITY_OPS: Record<string, "%" | "%>" | "%>>"> = { "%": "%", "%>": "%>", "%>>": "%>>" };
const SIMILARITY_COMMUTED: Record<string, "%" | "%>" | "%>>"> = { "%": "%", "<%": "%>", "<<%": "%>>" };
/** Distance operators an index can return rows in order of: pgvector's and pg_trgm's. */
const DISTANCE_OPS = new Set(["<->", "<#>", "<=>", "<+>"]);

/** Patterns for one statement (SELECT / UPDATE / DELETE / INSERT, with CTEs, set operations and subqueries). */
export function patternsFromStatement(stmt: Node, ctx: SqlPatternContext): AccessPattern[] {
  const out: AccessPattern[] = [];
  visitStatement(stmt, ctx, null, out);
  return out;
}

function newPattern(table: string, relation: RelationName, kind: QueryKind, ctx: SqlPatternContext): AccessPattern {
  return { ...emptyPattern(table, kind, ctx.source, ctx), relation };
}

function visitStatement(stmt: Node, ctx: SqlPatternContext, outer: Scope | null, out: AccessPattern[]): void {
  if (!stmt || typeof stmt !== "object") return;
  if (stmt.SelectStmt) return visitSelect(stmt.SelectStmt, ctx, outer, out);
  if (stmt.UpdateStmt) return visitModify(stmt.UpdateStmt, "update", ctx, outer, out);
  if (stmt.DeleteStmt) return visitModify(stmt.DeleteStmt, "delete", ctx, outer, out);
  if (stmt.InsertStmt) return visitInsert(stmt.InsertStmt, ctx, outer, out);
  if (stmt.ExplainStmt) return visitStatement(stmt.ExplainStmt.query, ctx, outer, out);
  if (stmt.DeclareCursorStmt) return visitStatement(stmt.DeclareCursorStmt.query, ctx, outer, out);
  if (stmt.CreateTableAsStmt) return visitStatement(stmt.CreateTableAsStmt.query, ctx, outer, out);
}

function visitWith(withClause: Node | undefined, ctx: SqlPatternContext, outer: Scope | null, out: AccessPattern[]): void {
  for (const cte of withClause?.ctes ?? []) {
    if (cte.CommonTableExpr?.ctequery) visitStatement(cte.CommonTableExpr.ctequery, ctx, outer, out);
  }
}

function cteNames(withClause: Node | undefined): Set<string> {
  return new Set((withClause?.ctes ?? []).map((c: Node) => c.CommonTableExpr?.ctename).filter(Boolean));
}

function visitSelect(select: Node, ctx: SqlPatternContext, enclosing: Scope | null, out: AccessPattern[]): void {
  const outer = withScope(select.withClause, enclosing);
  visitWith(select.withClause, ctx, outer, out);
  if (select.op && select.op !== "SETOP_NONE") {
    if (select.larg) visitSelect(select.larg, ctx, outer, out);
    if (select.rarg) visitSelect(select.rarg, ctx, outer, out);
    return;
  }
  if (select.valuesLists) return;
  const scope: Scope = { refs: [], outer };
  const joinQuals: Node[] = [];
  for (const item of select.fromClause ?? []) collectFrom(item, "select", ctx, scope, joinQuals, out);
  applyConditions(select.whereClause, scope, ctx, out);
  for (const qual of joinQuals) applyConditions(qual, scope, ctx, out, true);
  // With GROUP BY or DISTINCT the ORDER BY sorts groups, which exist only once every matching row is read:
  // it is no order an index scan can stop early on (short of a GroupAggregate over the index, the planner's call).
  const grouped = (select.groupClause?.length ?? 0) > 0 || (select.distinctClause?.length ?? 0) > 0;
  if (!grouped) applyOrder(select.sortClause ?? [], select.targetList ?? [], scope, ctx);
  const limited = select.limitCount !== undefined && !isNullConst(select.limitCount);
  for (const ref of scope.refs) {
    ref.pattern.limited = limited;
    out.push(ref.pattern);
  }
  // Subqueries in the select list and HAVING run against their own tables.
  visitSublinks(select.targetList, ctx, scope, out);
  visitSublinks(select.havingClause, ctx, scope, out);
}

function visitModify(stmt: Node, kind: "update" | "delete", ctx: SqlPatternContext, enclosing: Scope | null, out: AccessPattern[]): void {
  const outer = withScope(stmt.withClause, enclosing);
  visitWith(stmt.withClause, ctx, outer, out);
  const scope: Scope = { refs: [], outer };
  const joinQuals: Node[] = [];
  if (stmt.relation) addRangeVar(stmt.relation, kind, ctx, scope);
  for (const item of stmt.fromClause ?? stmt.usingClause ?? []) collectFrom(item, "select", ctx, scope, joinQuals, out);
  applyConditions(stmt.whereClause, scope, ctx, out);
  for (const qual of joinQuals) applyConditions(qual, scope, ctx, out, true);
  for (const ref of scope.refs) out.push(ref.pattern);
  visitSublinks(stmt.targetList, ctx, scope, out);
}

function visitInsert(stmt: Node, ctx: SqlPatternContext, enclosing: Scope | null, out: AccessPattern[]): void {
  const outer = withScope(stmt.withClause, enclosing);
  visitWith(stmt.withClause, ctx, outer, out);
  const conflict = stmt.onConflictClause;
  const kind: QueryKind = conflict ? "upsert" : "insert";
  const scope: Scope = { refs: [], outer };
  const ref = stmt.relation ? addRangeVar(stmt.relation, kind, ctx, scope) : null;
  // ON CONFLICT (cols) looks each row up by those columns, through the unique index that arbitrates.
  if (ref && conflict?.infer?.indexElems) {
    for (const elem of conflict.infer.indexElems) {
      const e = elem.IndexElem;
      if (e?.name) ref.pattern.predicates.push({ column: e.name, op: "eq", sentAs: "param" });
      else if (e?.expr) ref.pattern.predicates.push({ expression: exprText(e.expr), op: "eq", sentAs: "param" });
    }
  }
  if (ref) out.push(ref.pattern);
  if (stmt.selectStmt) visitStatement(stmt.selectStmt, ctx, outer, out);
}

function isNullConst(node: Node): boolean {
  return Boolean(node?.A_Const?.isnull);
}

function addRangeVar(rv: Node, kind: QueryKind, ctx: SqlPatternContext, scope: Scope): TableRef {
  // The parser has folded unquoted names and kept quoted ones: relname is already exact.
  const table = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname;
  const relation: RelationName = rv.schemaname ? { schema: rv.schemaname, name: rv.relname } : { name: rv.relname };
  const ref: TableRef = {
    table,
    alias: rv.alias?.aliasname ?? rv.relname,
    pattern: newPattern(table, relation, kind, ctx),
    order: scope.refs.length,
  };
  scope.refs.push(ref);
  return ref;
}

function collectFrom(
  item: Node,
  kind: QueryKind,
  ctx: SqlPatternContext,
  scope: Scope,
  joinQuals: Node[],
  out: AccessPattern[],
): void {
  if (item.RangeVar) {
    // A CTE name is not a table; its own query was visited already.
    if (!item.RangeVar.schemaname && isCte(item.RangeVar.relname, scope)) return;
    addRangeVar(item.RangeVar, kind, ctx, scope);
  } else if (item.JoinExpr) {
    const join = item.JoinExpr;
    collectFrom(join.larg, kind, ctx, scope, joinQuals, out);
    collectFrom(join.rarg, kind, ctx, scope, joinQuals, out);
    if (join.quals) joinQuals.push(join.quals);
    // USING (a, b): both sides compare those columns.
    if (join.usingClause) {
      const names: string[] = join.usingClause.map((n: Node) => n.String?.sval).filter(Boolean);
      const left = lastRef(join.larg, scope);
      const right = lastRef(join.rarg, scope);
      if (left && right) {
        for (const name of names) recordJoin(left, name, right, name);
      }
    }
  } else if (item.RangeSubselect?.subquery) {
    visitStatement(item.RangeSubselect.subquery, ctx, item.RangeSubselect.lateral ? scope : scope.outer, out);
  }
}

/** The table a FROM item ends in (for JOIN ... USING). */
function lastRef(item: Node, scope: Scope): TableRef | undefined {
  if (item?.RangeVar) {
    const alias = item.RangeVar.alias?.aliasname ?? item.RangeVar.relname;
    return scope.refs.find((r) => r.alias === alias);
  }
  if (item?.JoinExpr) return lastRef(item.JoinExpr.rarg, scope);
  return undefined;
}

// ------------------------------------------------------------------ column and value resolution

interface ColumnHit {
  ref: TableRef;
  column: string;
}

/** Resolves a column reference to a table at this level; null when it names an outer table, a variable, or is ambiguous. */
function resolveColumn(node: Node, scope: Scope, ctx: SqlPatternContext): ColumnHit | null {
  const fields = node?.ColumnRef?.fields;
  if (!fields) return null;
  const names: string[] = fields.map((f: Node) => f.String?.sval ?? (f.A_Star ? "*" : null));
  if (names.some((n) => n === null || n === "*")) return null;
  if (names.length === 1) {
    if (ctx.variables?.has(names[0])) return null;
    // An unqualified column is only placed when one table is in scope: never guessed.
    if (scope.refs.length !== 1) return null;
    return { ref: scope.refs[0], column: names[0] };
  }
  const qualifier = names[names.length - 2];
  const ref = scope.refs.find((r) => r.alias === qualifier || r.table === qualifier || r.table.endsWith(`.${qualifier}`));
  return ref ? { ref, column: names[names.length - 1] } : null;
}

/** True when the column reference is a value from outside this query level (a correlated reference or a variable). */
function isOuterValue(node: Node, scope: Scope, ctx: SqlPatternContext): boolean {
  const fields = node?.ColumnRef?.fields;
  if (!fields) return false;
  const names: string[] = fields.map((f: Node) => f.String?.sval).filter(Boolean);
  if (names.length === 0) return false;
  if (ctx.variables?.has(names[0])) return true;
  if (names.length === 1) return false;
  // Qualified by anything but a table of this level (an outer table, a CTE, a subquery, a record
  // variable): a value that is fixed while this level's table is searched.
  const qualifier = names[names.length - 2];
  return !scope.refs.some((r) => r.alias === qualifier || r.table === qualifier || r.table.endsWith(`.${qualifier}`));
}

/** Every table of this level that an expression references (undefined when a reference cannot be placed). */
function tablesOf(node: Node, scope: Scope, ctx: SqlPatternContext): Set<TableRef> | undefined {
  const found = new Set<TableRef>();
  let unplaced = false;
  walk(node, (n) => {
    if (n.SubLink) return false;
    if (n.ColumnRef) {
      if (isOuterValue(n, scope, ctx)) return false;
      const hit = resolveColumn(n, scope, ctx);
      if (hit) found.add(hit.ref);
      else unplaced = true;
      return false;
    }
    return true;
  });
  return unplaced ? undefined : found;
}

type ValueKind = { kind: "literal"; text: string } | { kind: "param"; clock?: "now" | "shifted" } | { kind: "column" };

/** Functions that read the statement's or transaction's clock (STABLE: folded by the planner to estimate). */
const CLOCK_FUNCTIONS = new Set(["now", "transaction_timestamp", "statement_timestamp", "clock_timestamp", "localtimestamp", "current_timestamp"]);

/**
 * How the compared value reaches the server. Constants are literals. Parameters, variables,
 * correlated references and column-free expressions (`now()`, `now() - interval '1 day'`) are
 * "param": the planner evaluates them at run time, so it can use them as index keys but cannot
 * prove a partial index's predicate from them (predtest.c needs a Const on both sides).
 */
function valueKind(node: Node, scope: Scope, ctx: SqlPatternContext): ValueKind {
  if (node?.A_Const) return { kind: "literal", text: constText(node) };
  if (node?.TypeCast?.arg?.A_Const) return { kind: "literal", text: exprText(node) };
  if (node?.ParamRef) return { kind: "param" };
  let column = false;
  let clock = false;
  let bound = false;
  walk(node, (n) => {
    if (n.SubLink) return false;
    if (n.ColumnRef && !isOuterValue(n, scope, ctx)) column = true;
    else if (n.ColumnRef || n.ParamRef) bound = true;
    if (n.SQLValueFunction) clock = true;
    if (n.FuncCall) {
      const name = (n.FuncCall.funcname ?? []).at(-1)?.String?.sval?.toLowerCase();
      if (name && CLOCK_FUNCTIONS.has(name)) clock = true;
    }
    return !column;
  });
  if (column) return { kind: "column" };
  // `now() - interval '1 day'`: only the clock and constants, which the planner folds to estimate.
  if (!clock || bound) return { kind: "param" };
  const bare = node?.SQLValueFunction || (node?.FuncCall && !(node.FuncCall.args?.length > 0));
  return { kind: "param", clock: bare ? "now" : "shifted" };
}

/** The column or single-table expression on one side of a comparison. */
function operandTarget(node: Node, scope: Scope, ctx: SqlPatternContext): { ref: TableRef; column?: string; expression?: string } | null {
  const bare = node?.TypeCast && node.TypeCast.arg?.ColumnRef ? null : node;
  if (bare?.ColumnRef) {
    const hit = resolveColumn(node, scope, ctx);
    return hit && !isSystemColumn(hit.column) ? { ref: hit.ref, column: hit.column } : null;
  }
  const tables = tablesOf(node, scope, ctx);
  if (!tables || tables.size !== 1) return null;
  if (!indexableExpression(node, (n) => isOuterValue(n, scope, ctx))) return null;
  const [ref] = tables;
  return { ref, expression: exprText(node) };
}

function targetFields(t: { column?: string; expression?: string }): Pick<ColumnPredicate, "column" | "expression"> {
  return t.column !== undefined ? { column: t.column } : { expression: t.expression };
}

// ------------------------------------------------------------------ WHERE / ON conditions

function conjuncts(node: Node | undefined): Node[] {
  if (!node) return [];
  if (node.BoolExpr?.boolop === "AND_EXPR") return node.BoolExpr.args.flatMap((a: Node) => conjuncts(a));
  return [node];
}

function applyConditions(where: Node | undefined, scope: Scope, ctx: SqlPatternContext, out: AccessPattern[], fromJoin = false): void {
  for (const term of conjuncts(where)) {
    visitSublinks(term, ctx, scope, out);
    if (joinCondition(term, scope, ctx)) continue;
    const placed = predicateOf(term, scope, ctx);
    if (placed) {
      placed.ref.pattern.predicates.push(...placed.predicates);
      continue;
    }
    if (term.BoolExpr?.boolop === "OR_EXPR") {
      // An OR the extractor does not split: every table it touches is marked.
      const tables = tablesOf(term, scope, ctx);
      const marked = tables && tables.size > 0 ? [...tables] : fromJoin ? [] : scope.refs.length === 1 ? scope.refs : [];
      for (const ref of marked) ref.pattern.hasOr = true;
    }
  }
}

/** `a.x = b.y` between two tables of this level: a join, recorded on both sides. */
function joinCondition(term: Node, scope: Scope, ctx: SqlPatternContext): boolean {
  const expr = term.A_Expr;
  if (!expr || expr.kind !== "AEXPR_OP" || opName(expr) !== "=") return false;
  if (!expr.lexpr?.ColumnRef || !expr.rexpr?.ColumnRef) return false;
  const left = resolveColumn(expr.lexpr, scope, ctx);
  const right = resolveColumn(expr.rexpr, scope, ctx);
  if (!left || !right || left.ref === right.ref) return false;
  recordJoin(left.ref, left.column, right.ref, right.column);
  return true;
}

function recordJoin(a: TableRef, aColumn: string, b: TableRef, bColumn: string): void {
  addJoin(a.pattern, b.table, bColumn);
  addJoin(b.pattern, a.table, aColumn);
  // The inner side of a nested loop is probed once per outer row, by its join column.
  const inner = a.order > b.order ? { ref: a, column: aColumn } : { ref: b, column: bColumn };
  if (!isSystemColumn(inner.column)) inner.ref.pattern.predicates.push({ column: inner.column, op: "eq", sentAs: "param" });
}

function addJoin(pattern: AccessPattern, table: string, column: string): void {
  const existing = pattern.joins.find((j) => j.table === table);
  if (existing) {
    if (!existing.columns.includes(column)) existing.columns.push(column);
  } else {
    pattern.joins.push({ table, columns: [column] } satisfies JoinUse);
  }
}

/** One WHERE term as predicates on a single table, or null when it is not one. */
function predicateOf(term: Node, scope: Scope, ctx: SqlPatternContext): { ref: TableRef; predicates: ColumnPredicate[] } | null {
  if (term.NullTest) {
    const target = operandTarget(term.NullTest.arg, scope, ctx);
    if (!target) return null;
    const op = term.NullTest.nulltesttype === "IS_NULL" ? "is-null" : "is-not-null";
    return { ref: target.ref, predicates: [{ ...targetFields(target), op, sentAs: "literal" }] };
  }
  if (term.BooleanTest) {
    const target = operandTarget(term.BooleanTest.arg, scope, ctx);
    if (!target) return null;
    const test = term.BooleanTest.booltesttype as string;
    const value = ({ IS_TRUE: "true", IS_FALSE: "false", IS_NOT_TRUE: "not true", IS_NOT_FALSE: "not false" } as Record<string, string>)[test];
    if (value) return { ref: target.ref, predicates: [{ ...targetFields(target), op: "bool-test", value, sentAs: "literal" }] };
    return { ref: target.ref, predicates: [{ ...targetFields(target), op: "other", sentAs: "literal" }] };
  }
  if (term.ColumnRef) {
    const hit = resolveColumn(term, scope, ctx);
    if (!hit || isSystemColumn(hit.column)) return null;
    return { ref: hit.ref, predicates: [{ column: hit.column, op: "bool", value: "true", sentAs: "literal" }] };
  }
  if (term.BoolExpr?.boolop === "NOT_EXPR" && term.BoolExpr.args?.[0]?.ColumnRef) {
    const hit = resolveColumn(term.BoolExpr.args[0], scope, ctx);
    if (!hit) return null;
    return { ref: hit.ref, predicates: [{ column: hit.column, op: "bool", value: "false", sentAs: "literal" }] };
  }
  if (term.SubLink) {
    const link = term.SubLink;
    // col IN (SELECT ...) / col = ANY (SELECT ...): a set of values from another query.
    if (link.subLinkType === "ANY_SUBLINK" && link.testexpr) {
      const target = operandTarget(link.testexpr, scope, ctx);
      if (!target) return null;
      return { ref: target.ref, predicates: [{ ...targetFields(target), op: "in", sentAs: "param" }] };
    }
    return null;
  }
  const expr = term.A_Expr;
  if (!expr) return null;
  return comparison(expr, scope, ctx);
}

function comparison(expr: Node, scope: Scope, ctx: SqlPatternContext): { ref: TableRef; predicates: ColumnPredicate[] } | null {
  const op = opName(expr);
  const kind = expr.kind as string;

  if (kind === "AEXPR_BETWEEN" || kind === "AEXPR_BETWEEN_SYM") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    const bounds: Node[] = expr.rexpr?.List?.items ?? [];
    if (!target || bounds.length !== 2) return null;
    const lo = valueKind(bounds[0], scope, ctx);
    const hi = valueKind(bounds[1], scope, ctx);
    if (lo.kind === "column" || hi.kind === "column") return null;
    return {
      ref: target.ref,
      predicates: [
        rangePredicate(target, ">=", lo),
        rangePredicate(target, "<=", hi),
      ],
    };
  }
  if (kind === "AEXPR_NOT_BETWEEN" || kind === "AEXPR_NOT_BETWEEN_SYM") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    return target ? { ref: target.ref, predicates: [{ ...targetFields(target), op: "other", sentAs: "param" }] } : null;
  }
  if (kind === "AEXPR_IN") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    if (!target) return null;
    const items: Node[] = expr.rexpr?.List?.items ?? [];
    const kinds = items.map((i) => valueKind(i, scope, ctx));
    if (kinds.some((k) => k.kind === "column")) return null;
    const sentAs = kinds.every((k) => k.kind === "literal") ? "literal" : "param";
    const inOp = op === "=" ? "in" : "neq";
    return { ref: target.ref, predicates: [{ ...targetFields(target), op: inOp, sentAs }] };
  }
  if (kind === "AEXPR_OP_ANY" || kind === "AEXPR_OP_ALL") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    if (!target) return null;
    const value = valueKind(expr.rexpr, scope, ctx);
    if (value.kind === "column") return null;
    const sentAs = value.kind === "literal" ? "literal" : "param";
    const anyOp = kind === "AEXPR_OP_ANY" && op === "=" ? "in" : RANGE_OPS.has(op) ? "range" : "other";
    const predicate: ColumnPredicate = { ...targetFields(target), op: anyOp, sentAs };
    if (anyOp === "range") predicate.operator = op as "<" | "<=" | ">" | ">=";
    return { ref: target.ref, predicates: [predicate] };
  }
  if (kind === "AEXPR_LIKE" || kind === "AEXPR_ILIKE") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    if (!target) return null;
    const value = valueKind(expr.rexpr, scope, ctx);
    if (value.kind === "column") return null;
    const negated = op.startsWith("!");
    const caseInsensitive = kind === "AEXPR_ILIKE";
    const predicate: ColumnPredicate = { ...targetFields(target), op: "like", sentAs: value.kind === "literal" ? "literal" : "param" };
    if (caseInsensitive) predicate.caseInsensitive = true;
    // The pattern written in the SQL: whether pg_trgm finds a trigram in it (search.ts) depends on its text.
    if (value.kind === "literal") predicate.value = value.text;
    if (!negated && value.kind === "literal" && isPrefixPattern(value.text)) predicate.op = "like-prefix";
    if (negated) predicate.op = "other";
    return { ref: target.ref, predicates: [predicate] };
  }
  if (kind === "AEXPR_DISTINCT" || kind === "AEXPR_NOT_DISTINCT") {
    const target = operandTarget(expr.lexpr, scope, ctx);
    if (!target) return null;
    const value = valueKind(expr.rexpr, scope, ctx);
    if (value.kind === "column") return null;
    return { ref: target.ref, predicates: [{ ...targetFields(target), op: "other", sentAs: value.kind === "literal" ? "literal" : "param" }] };
  }
  if (kind !== "AEXPR_OP" || !expr.lexpr || !expr.rexpr) return null;

  // Put the column on the left: `$1 < created_at` is `created_at > $1`.
  let left = expr.lexpr;
  let right = expr.rexpr;
  let operator = op;
  let target = operandTarget(left, scope, ctx);
  let value = valueKind(right, scope, ctx);
  let similarity: "%" | "%>" | "%>>" | undefined = SIMILARITY_OPS[op];
  if (!target || value.kind === "column") {
    const swappedTarget = operandTarget(right, scope, ctx);
    const swappedValue = valueKind(left, scope, ctx);
    if (!swappedTarget || swappedValue.kind === "column") return null;
    [left, right] = [right, left];
    target = swappedTarget;
    value = swappedValue;
    operator = FLIP[op] ?? op;
    similarity = SIMILARITY_COMMUTED[op];
  }
  const sentAs = value.kind === "literal" ? "literal" : "param";
  const fields = targetFields(target);
  let predicate: ColumnPredicate;
  if (operator === "=") {
    const isBool = value.kind === "literal" && (value.text === "true" || value.text === "false");
    predicate = { ...fields, op: isBool ? "bool" : "eq", sentAs };
    if (value.kind === "literal") predicate.value = value.text;
    else if (fields.expression !== undefined) {
      const compared = comparedText(right);
      if (compared) predicate.compared = compared;
    }
  } else if (operator === "<>" || operator === "!=") {
    predicate = { ...fields, op: "neq", sentAs };
  } else if (RANGE_OPS.has(operator)) {
    predicate = rangePredicate(target, operator as "<" | "<=" | ">" | ">=", value);
  } else if (similarity) {
    predicate = { ...fields, op: "similar", operator: similarity, sentAs };
  } else if (CONTAINS_OPS.has(operator)) {
    predicate = { ...fields, op: "contains", sentAs };
  } else if (REGEX_OPS.has(operator) && !operator.startsWith("!")) {
    predicate = { ...fields, op: "like", sentAs };
    if (operator.includes("*")) predicate.caseInsensitive = true;
  } else {
    predicate = { ...fields, op: "other", sentAs };
  }
  return { ref: target.ref, predicates: [predicate] };
}

function rangePredicate(target: { column?: string; expression?: string }, operator: "<" | "<=" | ">" | ">=", value: ValueKind): ColumnPredicate {
  const predicate: ColumnPredicate = { ...targetFields(target), op: "range", operator, sentAs: value.kind === "literal" ? "literal" : "param" };
  if (value.kind === "literal") predicate.value = value.text;
  if (value.kind === "param" && value.clock) predicate.clock = value.clock;
  return predicate;
}

// ------------------------------------------------------------------ ORDER BY and subqueries

function applyOrder(sortClause: Node[], targetList: Node[], scope: Scope, ctx: SqlPatternContext): void {
  const terms: Array<{ ref: TableRef | null; term: OrderTerm }> = [];
  for (const item of sortClause) {
    const sort = item.SortBy;
    if (!sort) continue;
    const descending = sort.sortby_dir === "SORTBY_DESC";
    const nullsFirst = sort.sortby_nulls === "SORTBY_NULLS_FIRST" ? true : sort.sortby_nulls === "SORTBY_NULLS_LAST" ? false : null;
    const expression = sortExpression(sort.node, targetList);
    const distance = expression ? distanceTerm(expression, scope, ctx) : null;
    if (distance) {
      terms.push({ ref: distance.ref, term: { distance: distance.distance, descending, nullsFirst } });
      continue;
    }
    const target = expression ? operandTarget(expression, scope, ctx) : null;
    terms.push({ ref: target?.ref ?? null, term: { ...targetFields(target ?? {}), descending, nullsFirst } });
  }
  // Index order serves ORDER BY only when every sort key comes from the same table.
  const owners = new Set(terms.map((t) => t.ref));
  if (owners.size !== 1) return;
  const [owner] = owners;
  if (owner) owner.pattern.orderBy = terms.map((t) => t.term);
}

/** `col <=> $1` (either side): a distance from a column or expression of one table to a value the query sends. */
function distanceTerm(node: Node, scope: Scope, ctx: SqlPatternContext): { ref: TableRef; distance: NonNullable<OrderTerm["distance"]> } | null {
  const expr = node?.A_Expr;
  if (!expr || expr.kind !== "AEXPR_OP" || !expr.lexpr || !expr.rexpr) return null;
  const operator = opName(expr);
  if (!DISTANCE_OPS.has(operator)) return null;
  for (const [side, other] of [[expr.lexpr, expr.rexpr], [expr.rexpr, expr.lexpr]]) {
    const target = operandTarget(side, scope, ctx);
    if (target && valueKind(other, scope, ctx).kind !== "column") return { ref: target.ref, distance: { ...targetFields(target), operator } };
  }
  return null;
}

function visitSublinks(node: unknown, ctx: SqlPatternContext, scope: Scope, out: AccessPattern[]): void {
  walk(node, (n) => {
    if (n.SubLink?.subselect) {
      visitStatement(n.SubLink.subselect, ctx, scope, out);
      return false;
    }
    return true;
  });
}

/** An operand's SQL text as written, qualifiers kept (it is quoted in advice, not indexed); null if it cannot be printed. */
function comparedText(node: Node): string | null {
  try {
    return deparseNode(node);
  } catch {
    return null;
  }
}
