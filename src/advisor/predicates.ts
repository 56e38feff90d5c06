// Predicate implication, after PostgreSQL's predtest.c: does what a query's WHERE says prove a
// partial index's WHERE (and, the other way round, which query clauses the index's WHERE already
// guarantees)? Only constants written into the SQL prove anything: a value bound as a parameter is
// unknown to a generic plan, so `status = $1` proves no more than `status IS NOT NULL` (the
// operator is strict, so a row that passes has a non-null status).
import type { ColumnPredicate } from "../core/types.js";
import { parseSql } from "../sql/parser.js";
import { normalizeExpressionAst, normalizeExpressionText } from "./expression.js";

export type Literal =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean };

export type Test =
  | "eq"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "ne"
  | "is-null"
  | "is-not-null"
  | "bool-true"
  | "bool-false"
  /** `x IS TRUE` and its kin: not strict, and predtest.c proves each only from the same test. */
  | "is-true"
  | "is-false"
  | "is-not-true"
  | "is-not-false"
  /** A strict test we do not model further (LIKE, @>, a function...): it only proves IS NOT NULL. */
  | "strict"
  /**
   * A strict test whose constants are unknown (a literal IN list the access pattern does not keep),
   * taken at its most provable: some values would prove any comparison on its target. Only for
   * asking whether an answer could change with the values, never for an answer itself.
   */
  | "any-value";

export interface Atom {
  /** Column name, or `expr:<normalized expression>` for an expression. */
  target: string;
  test: Test;
  /** The constant compared with; absent when the value is a parameter or not a constant. */
  value?: Literal;
}

export type Expr =
  | { kind: "atom"; atom: Atom }
  | { kind: "and"; items: Expr[] }
  | { kind: "or"; items: Expr[] }
  /** Something we cannot reason about: proves nothing, is proved by nothing. */
  | { kind: "unknown"; text?: string };

/** Carries the one thing implication can be unsure of: ordering strings depends on a collation. */
export interface ProofContext {
  uncertain?: string;
}

export function targetOfColumn(column: string): string {
  return column;
}

export function targetOfExpression(expression: string): string {
  return `expr:${normalizeExpressionText(expression)}`;
}

export function targetOfPredicate(p: { column?: string; expression?: string }): string | null {
  if (p.column) return targetOfColumn(p.column);
  if (p.expression) return targetOfExpression(p.expression);
  return null;
}

// ---------------------------------------------------------------- literals

/** Reads a constant as the SQL text a pattern carries it: `'accepted'`, `10`, `true`, `'x'::text`. */
export function parseLiteralText(text: string | undefined): Literal | undefined {
  if (text === undefined) return undefined;
  let t = text.trim();
  const cast = /^(.*?)::[a-z_ ."0-9]+(\[\])?$/i.exec(t);
  if (cast && !t.startsWith("'")) t = cast[1].trim();
  else if (cast && /^'(?:[^']|'')*'::/.test(t)) t = t.slice(0, t.lastIndexOf("::"));
  if (/^(true|false)$/i.test(t)) return { kind: "bool", value: t.toLowerCase() === "true" };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return { kind: "number", value: Number(t) };
  const quoted = /^'((?:[^']|'')*)'$/.exec(t);
  if (quoted) return { kind: "string", value: quoted[1].replace(/''/g, "'") };
  return undefined;
}

function literalFromAst(node: any): Literal | undefined {
  if (!node) return undefined;
  if (node.TypeCast) return literalFromAst(node.TypeCast.arg);
  const c = node.A_Const;
  if (!c) return undefined;
  // libpg-query leaves out default values: `0` is `{ival: {}}`, `false` is `{boolval: {}}`.
  if (c.ival !== undefined) return { kind: "number", value: c.ival.ival ?? 0 };
  if (c.fval !== undefined) return { kind: "number", value: Number(c.fval.fval) };
  if (c.boolval !== undefined) return { kind: "bool", value: c.boolval.boolval === true };
  if (c.sval !== undefined) return { kind: "string", value: c.sval.sval ?? "" };
  return undefined;
}

function sameLiteral(a: Literal, b: Literal): boolean {
  if (a.kind === b.kind) return a.value === b.value;
  // `'5'` against 5: PostgreSQL coerces the unknown-typed string to the column's type.
  if (a.kind === "string" && b.kind === "number") return a.value.trim() !== "" && Number(a.value) === b.value;
  if (a.kind === "number" && b.kind === "string") return sameLiteral(b, a);
  return false;
}

/** -1, 0, 1, or null when the order depends on something we do not know (a collation). */
function compareLiterals(a: Literal, b: Literal, ctx: ProofContext): number | null {
  const an = a.kind === "number" ? a.value : a.kind === "string" && /^-?\d+(\.\d+)?$/.test(a.value) ? Number(a.value) : null;
  const bn = b.kind === "number" ? b.value : b.kind === "string" && /^-?\d+(\.\d+)?$/.test(b.value) ? Number(b.value) : null;
  if (an !== null && bn !== null) return an < bn ? -1 : an > bn ? 1 : 0;
  if (a.kind === "string" && b.kind === "string") {
    if (a.value === b.value) return 0;
    ctx.uncertain ??= "comparing text constants depends on the column's collation";
    return null;
  }
  return null;
}

// ---------------------------------------------------------------- building expressions

function columnTarget(node: any): string | null {
  if (!node) return null;
  if (node.TypeCast) return columnTarget(node.TypeCast.arg);
  const fields = node.ColumnRef?.fields;
  if (Array.isArray(fields) && fields.length > 0) {
    const last = fields[fields.length - 1];
    if (last.String?.sval) return targetOfColumn(last.String.sval);
    return null;
  }
  if (node.FuncCall || node.A_Expr || node.CoalesceExpr || node.MinMaxExpr) {
    return `expr:${normalizeExpressionAst(node)}`;
  }
  return null;
}

const BOOLEAN_TESTS: Record<string, Test> = { IS_TRUE: "is-true", IS_FALSE: "is-false", IS_NOT_TRUE: "is-not-true", IS_NOT_FALSE: "is-not-false" };
/** A `bool-test` predicate's value ("true", "not false", ...) as an atom test. */
export function booleanTestOf(value: string | undefined): Test | null {
  return ({ true: "is-true", false: "is-false", "not true": "is-not-true", "not false": "is-not-false" } as Record<string, Test>)[(value ?? "").toLowerCase()] ?? null;
}

const FLIP: Record<string, Test> = { lt: "gt", le: "ge", gt: "lt", ge: "le", eq: "eq", ne: "ne" };
const OPERATORS: Record<string, Test> = { "=": "eq", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "<>": "ne", "!=": "ne" };

function atom(target: string, test: Test, value?: Literal): Expr {
  return { kind: "atom", atom: value === undefined ? { target, test } : { target, test, value } };
}

/** A libpg-query expression (a partial index's WHERE) as an implication tree. */
export function exprFromAst(node: any): Expr {
  if (!node) return { kind: "unknown" };
  if (node.BoolExpr) {
    const args: any[] = node.BoolExpr.args ?? [];
    if (node.BoolExpr.boolop === "AND_EXPR") return { kind: "and", items: args.map(exprFromAst) };
    if (node.BoolExpr.boolop === "OR_EXPR") return { kind: "or", items: args.map(exprFromAst) };
    if (node.BoolExpr.boolop === "NOT_EXPR" && args.length === 1) {
      const target = columnTarget(args[0]);
      if (target) return atom(target, "bool-false");
    }
    return { kind: "unknown" };
  }
  if (node.NullTest) {
    const target = columnTarget(node.NullTest.arg);
    if (!target) return { kind: "unknown" };
    return atom(target, node.NullTest.nulltesttype === "IS_NULL" ? "is-null" : "is-not-null");
  }
  if (node.BooleanTest) {
    // IS TRUE / IS FALSE are not strict (they are false for NULL), so they are kept apart from `flag`.
    const test = BOOLEAN_TESTS[node.BooleanTest.booltesttype as string];
    const target = columnTarget(node.BooleanTest.arg);
    return test && target ? atom(target, test) : { kind: "unknown" };
  }
  if (node.ColumnRef) {
    const target = columnTarget(node);
    return target ? atom(target, "bool-true") : { kind: "unknown" };
  }
  if (node.A_Expr) {
    const e = node.A_Expr;
    const op: string | undefined = e.name?.[e.name.length - 1]?.String?.sval;
    if (e.kind === "AEXPR_OP" && op && OPERATORS[op]) {
      let target = columnTarget(e.lexpr);
      let value = literalFromAst(e.rexpr);
      let test = OPERATORS[op];
      if (!target || !value) {
        const t2 = columnTarget(e.rexpr);
        const v2 = literalFromAst(e.lexpr);
        if (!t2 || !v2) return { kind: "unknown" };
        target = t2;
        value = v2;
        test = FLIP[test];
      }
      if (value.kind === "bool" && (test === "eq" || test === "ne")) {
        const isTrue = value.value === (test === "eq");
        return atom(target, isTrue ? "bool-true" : "bool-false");
      }
      return atom(target, test, value);
    }
    if (e.kind === "AEXPR_IN" && op === "=") {
      const target = columnTarget(e.lexpr);
      const items: any[] = e.rexpr?.List?.items ?? [];
      const values = items.map(literalFromAst);
      if (!target || values.some((v) => v === undefined)) return { kind: "unknown" };
      // predtest.c expands a constant array into an OR of equalities.
      return { kind: "or", items: values.map((v) => atom(target, "eq", v)) };
    }
    if ((e.kind === "AEXPR_LIKE" || e.kind === "AEXPR_ILIKE") && op) {
      const target = columnTarget(e.lexpr);
      return target ? atom(target, "strict") : { kind: "unknown" };
    }
    return { kind: "unknown" };
  }
  return { kind: "unknown" };
}

const whereCache = new Map<string, Expr>();

/** Parses a WHERE text (`status = 'accepted' AND flag`) into an implication tree. */
export function exprFromWhereText(where: string): Expr {
  const cached = whereCache.get(where);
  if (cached) return cached;
  const parsed = parseSql(`SELECT 1 WHERE ${where}`);
  const node = parsed.ok ? parsed.statements[0]?.ast?.SelectStmt?.whereClause : undefined;
  const expr = node ? exprFromAst(node) : ({ kind: "unknown", text: where } as Expr);
  whereCache.set(where, expr);
  return expr;
}

const RANGE_TESTS: Record<string, Test> = { "<": "lt", "<=": "le", ">": "gt", ">=": "ge" };

/**
 * One query predicate as PostgreSQL sees it in a generic plan: constants sent as literals keep their
 * value; parameters become a strict comparison with an unknown value.
 */
export function exprFromPredicate(p: ColumnPredicate): Expr {
  const target = targetOfPredicate(p);
  if (!target) return { kind: "unknown" };
  const literal = p.sentAs === "literal" ? parseLiteralText(p.value) : undefined;
  switch (p.op) {
    case "eq":
      if (literal?.kind === "bool") return atom(target, literal.value ? "bool-true" : "bool-false");
      return atom(target, "eq", literal);
    case "bool": {
      const v = parseLiteralText(p.value ?? "true");
      if (p.sentAs === "literal" || v === undefined) {
        return atom(target, v?.kind === "bool" && !v.value ? "bool-false" : "bool-true");
      }
      return atom(target, "eq");
    }
    case "range":
      return atom(target, RANGE_TESTS[p.operator ?? ">"] ?? "gt", literal);
    case "is-null":
      return atom(target, "is-null");
    case "is-not-null":
      return atom(target, "is-not-null");
    case "bool-test": {
      const test = booleanTestOf(p.value);
      return test ? atom(target, test) : { kind: "unknown" };
    }
    case "neq":
      return atom(target, "ne", literal);
    case "in":
    case "like":
    case "like-prefix":
    case "contains":
    case "similar":
      return atom(target, "strict");
    default:
      return { kind: "unknown" };
  }
}

// ---------------------------------------------------------------- implication

/** Does `premise` (ANDed query clauses, or an index predicate) prove `conclusion`? */
export function implies(premise: Expr, conclusion: Expr, ctx: ProofContext = {}): boolean {
  if (conclusion.kind === "and") return conclusion.items.every((c) => implies(premise, c, ctx));
  if (premise.kind === "or") return premise.items.length > 0 && premise.items.every((p) => implies(p, conclusion, ctx));
  if (premise.kind === "and") {
    if (premise.items.some((p) => implies(p, conclusion, ctx))) return true;
    if (conclusion.kind === "or") return conclusion.items.some((c) => implies(premise, c, ctx));
    return false;
  }
  if (conclusion.kind === "or") return conclusion.items.some((c) => implies(premise, c, ctx));
  if (premise.kind !== "atom" || conclusion.kind !== "atom") return false;
  return atomImplies(premise.atom, conclusion.atom, ctx);
}

/** Single-clause proofs, as predicate_implied_by_simple_clause and operator_predicate_proof make them. */
export function atomImplies(p: Atom, c: Atom, ctx: ProofContext = {}): boolean {
  if (p.target !== c.target) {
    // A strict test on a strict expression (`lower(s) = 'x'`) fails when s is NULL (clause_is_strict_for).
    // `lower(s) IS NOT NULL` is no strict operator (a NullTest), so predtest.c does not prove `s IS NOT NULL` from it.
    return (
      c.test === "is-not-null" &&
      p.test !== "is-null" &&
      p.test !== "is-not-null" &&
      p.test !== "bool-false" &&
      !BOOLEAN_TEST_SET.has(p.test) &&
      strictExpressionColumns(p.target).includes(c.target)
    );
  }
  if (p.test === "any-value") return c.test !== "is-null" && c.test !== "strict" && c.test !== "any-value" && !BOOLEAN_TEST_SET.has(c.test);
  // A boolean test proves, and is proved by, only the same test (checked on PostgreSQL 18: `x IS TRUE`
  // proves neither `x` nor `x IS NOT NULL`, and `x` does not prove `x IS TRUE`).
  if (BOOLEAN_TEST_SET.has(c.test) || BOOLEAN_TEST_SET.has(p.test)) return p.test === c.test;
  switch (c.test) {
    case "is-not-null":
      // Every strict test fails on NULL, so passing it proves the value is not null.
      return p.test !== "is-null" && p.test !== "bool-false";
    case "is-null":
      return p.test === "is-null";
    case "bool-true":
      return p.test === "bool-true";
    case "bool-false":
      return p.test === "bool-false";
    case "strict":
      return false;
    default:
      break;
  }
  if (!c.value || !p.value) return false;
  if (p.test === "eq") {
    if (c.test === "eq") return sameLiteral(p.value, c.value);
    const cmp = compareLiterals(p.value, c.value, ctx);
    if (cmp === null) return false;
    return satisfies(cmp, c.test);
  }
  if (c.test === "ne") {
    if (p.test === "ne") return sameLiteral(p.value, c.value);
    if (!isRange(p.test)) return false;
    // x <= 3 proves x <> 20: the excluded value lies outside the range.
    const cmp = compareLiterals(c.value, p.value, ctx);
    if (cmp === null) return false;
    if (p.test === "lt") return cmp >= 0;
    if (p.test === "le") return cmp > 0;
    if (p.test === "gt") return cmp <= 0;
    return cmp < 0;
  }
  if (!isRange(p.test) || !isRange(c.test)) return false;
  const cmp = compareLiterals(p.value, c.value, ctx);
  if (cmp === null) return false;
  // p: x (op) pv   c: x (op) cv. Upper bounds prove wider upper bounds, lower bounds wider lower bounds.
  const pUpper = p.test === "lt" || p.test === "le";
  const cUpper = c.test === "lt" || c.test === "le";
  if (pUpper !== cUpper) return false;
  if (cmp === 0) return p.test === c.test || (p.test === "lt" && c.test === "le") || (p.test === "gt" && c.test === "ge");
  return pUpper ? cmp < 0 : cmp > 0;
}

// Functions that can return a non-null result from a NULL argument, or hide a column from strictness.
const NON_STRICT = /\b(coalesce|nullif|case|greatest|least|concat|concat_ws|row|array|format|num_nulls|num_nonnulls)\b|\bis\b/i;

/** Columns whose NULL makes the expression NULL: every column of an expression built from strict functions. */
export function strictExpressionColumns(target: string): string[] {
  if (!target.startsWith("expr:")) return [];
  const text = target.slice(5).replace(/'(?:[^']|'')*'/g, "''");
  if (NON_STRICT.test(text)) return [];
  const columns: string[] = [];
  for (const m of text.matchAll(/"((?:[^"]|"")+)"|\b([a-z_][a-z0-9_$]*)\b(\s*\()?/gi)) {
    if (m[1]) columns.push(m[1].replace(/""/g, '"'));
    else if (m[2] && !m[3] && !/^(and|or|not|true|false|null|text|integer|int|bigint|varchar|date|timestamptz|timestamp|numeric|boolean|collate)$/i.test(m[2])) columns.push(m[2]);
  }
  return columns;
}

const BOOLEAN_TEST_SET = new Set<Test>(["is-true", "is-false", "is-not-true", "is-not-false"]);

function isRange(t: Test): boolean {
  return t === "lt" || t === "le" || t === "gt" || t === "ge";
}

/** Is `v (test) bound` true, given cmp = compare(v, bound)? */
function satisfies(cmp: number, test: Test): boolean {
  switch (test) {
    case "lt":
      return cmp < 0;
    case "le":
      return cmp <= 0;
    case "gt":
      return cmp > 0;
    case "ge":
      return cmp >= 0;
    case "ne":
      return cmp !== 0;
    default:
      return false;
  }
}

/** Atoms of an AND tree, for reading which columns a predicate fixes. */
export function conjuncts(expr: Expr): Expr[] {
  return expr.kind === "and" ? expr.items.flatMap(conjuncts) : [expr];
}

export function exprToText(expr: Expr): string {
  switch (expr.kind) {
    case "and":
      return expr.items.map(exprToText).join(" AND ");
    case "or":
      return `(${expr.items.map(exprToText).join(" OR ")})`;
    case "unknown":
      return expr.text ?? "another filter";
    case "atom": {
      const a = expr.atom;
      const t = a.target.startsWith("expr:") ? a.target.slice(5) : a.target;
      const v = a.value === undefined ? "$n" : literalToSql(a.value);
      const ops: Partial<Record<Test, string>> = { eq: "=", lt: "<", le: "<=", gt: ">", ge: ">=", ne: "<>" };
      if (ops[a.test]) return `${t} ${ops[a.test]} ${v}`;
      if (a.test === "is-null") return `${t} IS NULL`;
      if (a.test === "is-not-null") return `${t} IS NOT NULL`;
      if (a.test === "bool-true") return t;
      if (a.test === "bool-false") return `NOT ${t}`;
      if (BOOLEAN_TEST_SET.has(a.test)) return `${t} IS ${a.test.slice(3).replace("-", " ").toUpperCase()}`;
      return `${t} (strict test)`;
    }
  }
}

export function literalToSql(l: Literal): string {
  if (l.kind === "string") return `'${l.value.replace(/'/g, "''")}'`;
  return String(l.value);
}
