// Can an existing index serve an access pattern? The planner's answer, after PostgreSQL's indxpath.c
// (which clauses an index column can take) and predtest.c (when a partial index may be used at all).
//
// Verdicts:
//   served      the scan is bounded on the index's leading column (an equality prefix, then at most one
//               range column; later columns only filter inside the index), or the index order delivers
//               the ORDER BY of a query with a LIMIT, or a partial index holds exactly the wanted rows;
//   partial     the index is usable, but only by PostgreSQL 18's skip scan over an unconstrained leading
//               column, or as a full scan (in order without LIMIT, or of a partial index) that filters;
//   not-served  the planner cannot use the index for this query.
import type { AccessPattern, Column, ColumnPredicate, Index, IndexKey, OrderTerm, Table } from "../core/types.js";
import {
  type Atom,
  type Expr,
  type ProofContext,
  conjuncts,
  exprFromAst,
  exprFromPredicate,
  exprFromWhereText,
  exprToText,
  implies,
  literalToSql,
  targetOfColumn,
  targetOfExpression,
  targetOfPredicate,
} from "./predicates.js";
import { keyLabel, tableIndexes as indexesOf } from "../schema/lookup.js";
import { searchUse } from "./search.js";

export { indexesOf, keyLabel };

export type Verdict = "served" | "partial" | "not-served";

/** How the index would be used. */
export type Access =
  /** Index Cond on the leading column. */
  | "bound"
  /** The index order delivers ORDER BY ... LIMIT without a sort. */
  | "order"
  /** The partial index's WHERE is exactly the query's filter: every entry is a wanted row. */
  | "predicate"
  /** Index Cond on a later column only: PostgreSQL 18 skip scan over the leading column(s). */
  | "skip-scan"
  /** The whole index is read (in order, or the whole partial index) and rows are filtered. */
  | "full-scan"
  | "none";

export interface IndexMatch {
  verdict: Verdict;
  access: Access;
  index: Index;
  /** Key columns that bound the scan (equality prefix, then one range column). */
  boundKeys: string[];
  /** Key columns after the bound whose clauses are checked inside the index. */
  filterKeys: string[];
  /** The index order delivers the query's ORDER BY. */
  orderServed: boolean;
  /** Why, in a sentence. */
  reason: string;
  /** Set when the answer depends on something not in the schema model (collations, access methods). */
  uncertain?: string;
  /**
   * The index's WHERE would be proved if the values the client binds as parameters were written into
   * the SQL: it serves custom plans at best and stops being used once PostgreSQL plans generically.
   */
  parameterBlockedColumns?: string[];
}

export interface PatternMatch {
  verdict: Verdict;
  /** The index the planner would use, best verdict first. */
  best: IndexMatch | null;
  matches: IndexMatch[];
  /** Indexes whose WHERE relies on values the client sends as parameters (see IndexMatch). */
  parameterBlocked: IndexMatch[];
  uncertain?: string;
}

/** The planner's identity for an index key: its column, or its normalized expression. */
export function keyTarget(key: IndexKey): string | null {
  if (key.column) return targetOfColumn(key.column);
  if (key.expression) return targetOfExpression(key.expression);
  return null;
}


/** The partial index's WHERE as an implication tree, or null for a full index. */
export function indexPredicate(index: Index): Expr | null {
  if (index.whereAst) return exprFromAst(index.whereAst);
  if (index.where) return exprFromWhereText(index.where);
  return null;
}

type ClauseClass = "equality" | "range" | "unusable";

const PATTERN_OPCLASS = /^(text|varchar|bpchar)_pattern_ops$/;
const C_COLLATIONS = new Set(["c", "posix"]);

function isTextType(type: string | undefined): boolean {
  return !!type && /^(text|character varying|varchar|char|character|bpchar|citext|name)\b/i.test(type.trim());
}

/**
 * Which part a query clause can play on one btree index column (match_clause_to_indexcol):
 * an equality-like bound, a range bound, or none. `LIKE 'abc%'` turns into a range only under a
 * pattern opclass or the C collation and only for a literal pattern; `<>`, other LIKEs, `@>` never.
 */
function classify(p: ColumnPredicate, key: IndexKey, column: Column | undefined): ClauseClass {
  const opclass = key.opclass?.toLowerCase();
  const collation = key.collation?.toLowerCase();
  const patternOps = !!opclass && PATTERN_OPCLASS.test(opclass);
  const textual = column ? isTextType(column.type) : !!key.expression;
  // An index key with its own collation only takes clauses of that collation (IndexCollMatchesExprColl).
  const foreignCollation = !!collation && collation !== "default" && textual;
  switch (p.op) {
    case "eq":
    case "in":
    case "bool":
      if (foreignCollation) return "unusable";
      return "equality";
    case "is-null":
      return "equality";
    case "bool-test":
      // match_boolean_index_clause turns `x IS TRUE` / `x IS FALSE` on a boolean key into `x = true` / `x = false`;
      // IS NOT TRUE / IS NOT FALSE (which hold for NULL) take no index column.
      return key.column && (p.value === "true" || p.value === "false") && (!column || /^bool/i.test(column.type)) ? "equality" : "unusable";
    case "is-not-null":
      return "range";
    case "range":
      // The pattern opclasses order text bytewise under their own operators (~<~), not `<`.
      if (patternOps || foreignCollation) return "unusable";
      return "range";
    case "like-prefix": {
      if (p.sentAs !== "literal") return "unusable";
      if (p.caseInsensitive) return "unusable";
      if (patternOps) return "range";
      // The database's default collation is taken to be a locale one (as on hosted PostgreSQL), not C.
      if (collation && C_COLLATIONS.has(collation)) return "range";
      return "unusable";
    }
    default:
      return "unusable";
  }
}

function defaultNullsFirst(term: OrderTerm): boolean {
  return term.nullsFirst ?? term.descending;
}

/**
 * How many leading terms of the ORDER BY the index order delivers (build_index_pathkeys against the
 * query's pathkeys). Columns fixed by `= value` drop out of both orders, and a repeated ORDER BY term
 * is redundant; an IN list does not fix its column, so it stays in. A backward scan flips both the
 * direction and the NULLS placement.
 */
function orderPrefixServed(index: Index, orderBy: OrderTerm[], pinned: Set<string>): { served: number; wanted: number } {
  const seen = new Set<string>();
  const wanted: Array<{ term: OrderTerm; target: string | null }> = [];
  for (const term of orderBy) {
    const target = targetOfPredicate(term);
    if (target !== null && (pinned.has(target) || seen.has(target))) continue;
    if (target !== null) seen.add(target);
    wanted.push({ term, target });
  }
  // A key under another collation is not the column the `= value` fixed, so it stays in the order.
  const keys = index.keys.filter((k) => {
    const target = keyTarget(k);
    const foreign = !!k.collation && k.collation.toLowerCase() !== "default";
    return !(target && pinned.has(target) && !foreign);
  });
  let best = 0;
  for (const direction of ["forward", "backward"] as const) {
    let i = 0;
    for (; i < wanted.length && i < keys.length; i++) {
      const key = keys[i];
      const { term, target } = wanted[i];
      if (target === null || keyTarget(key) !== target) break;
      // Only the column's own ordering counts: another collation or a pattern opclass sorts differently.
      if (key.collation && key.collation.toLowerCase() !== "default") break;
      if (key.opclass && PATTERN_OPCLASS.test(key.opclass.toLowerCase())) break;
      const nullsFirst = defaultNullsFirst(term);
      const same = key.descending === term.descending && key.nullsFirst === nullsFirst;
      const flipped = key.descending !== term.descending && key.nullsFirst !== nullsFirst;
      if (direction === "forward" ? !same : !flipped) break;
    }
    best = Math.max(best, i);
  }
  return { served: best, wanted: wanted.length };
}

/** Is this pattern fixing its column to a single value the planner can treat as a constant? */
function pins(p: ColumnPredicate): boolean {
  return p.op === "eq" || (p.op === "bool" && p.sentAs === "param");
}

function columnNullable(table: Table, target: string): boolean {
  const column = table.columns.find((c) => c.name === target);
  return column ? column.nullable : true;
}

export interface MatchOptions {
  /** Predicates to treat as written into the SQL even when sent as parameters (used to explain caveats). */
  assumeLiteral?: boolean;
}

const signatures = new WeakMap<AccessPattern, string>();

/**
 * What the planner's answer depends on; call sites with the same signature get the same answer.
 * Kept per pattern: patterns are complete once extracted, and one is matched against many indexes.
 */
function signature(pattern: AccessPattern): string {
  let known = signatures.get(pattern);
  if (known === undefined) signatures.set(pattern, (known = computeSignature(pattern)));
  return known;
}

function computeSignature(pattern: AccessPattern): string {
  return JSON.stringify([
    pattern.predicates.map((p) => [p.column, p.expression, p.op, p.operator, p.sentAs, p.sentAs === "literal" || p.op === "bool" ? p.value : null, p.caseInsensitive]),
    pattern.orderBy.map((o) => [o.column, o.expression, o.distance, o.descending, o.nullsFirst]),
    pattern.limited,
  ]);
}

const memo = new WeakMap<Table, WeakMap<Index, Map<string, IndexMatch>>>();

/** The planner's answer for one index. */
export function matchIndex(table: Table, index: Index, pattern: AccessPattern): IndexMatch {
  let byIndex = memo.get(table);
  if (!byIndex) memo.set(table, (byIndex = new WeakMap()));
  let bySignature = byIndex.get(index);
  if (!bySignature) byIndex.set(index, (bySignature = new Map()));
  const key = signature(pattern);
  const known = bySignature.get(key);
  if (known) return known;
  const answer = computeMatch(table, index, pattern);
  bySignature.set(key, answer);
  return answer;
}

const IN_VALUES_UNKNOWN = "an IN list's values (not kept in the access pattern) decide whether the index's WHERE covers it";

function computeMatch(table: Table, index: Index, pattern: AccessPattern): IndexMatch {
  // PostgreSQL 17+ drops `x IS NOT NULL` on NOT NULL columns before planning; it constrains nothing.
  const predicates = pattern.predicates.filter((p) => {
    if (p.op !== "is-not-null" || !p.column) return true;
    return columnNullable(table, p.column);
  });
  const queryExpr: Expr = { kind: "and", items: predicates.map(exprFromPredicate) };
  const predicate = indexPredicate(index);
  if (!predicate) return judge(table, index, pattern, predicates, predicates, null, undefined);

  const proof: ProofContext = {};
  const implied = implies(queryExpr, predicate, proof);
  // Clauses the index's WHERE already guarantees are dropped from the scan (check_index_predicates).
  const remaining = implied ? predicates.filter((p) => !implies(predicate, exprFromPredicate(p), proof)) : predicates;
  const answer = implied
    ? judge(table, index, pattern, predicates, remaining, predicate, proof.uncertain)
    : refused(table, index, pattern, predicate, proof.uncertain);

  // A literal IN list on a column the index's WHERE tests: predtest.c reads its values, the access
  // pattern does not keep them. The answer above treats the list as an unknown strict test; it stands
  // when every list of values would give the same verdict, and is declined otherwise.
  const predicateTargets = new Set(conjuncts(predicate).flatMap(atomTargets));
  const lists = predicates.filter((p) => p.op === "in" && p.sentAs === "literal" && predicateTargets.has(targetOfPredicate(p) ?? ""));
  if (lists.length === 0) return answer;
  const verdicts = new Set<Verdict>([answer.verdict]);
  // Some list of values may prove any value comparison of the WHERE on its column...
  const mayImply = implied || implies({ kind: "and", items: predicates.map((p) => (lists.includes(p) ? anyValueOf(p) : exprFromPredicate(p))) }, predicate);
  if (mayImply) {
    // ...and the WHERE may prove the list itself (`x = 1` proves `x IN (1, 2)`), dropping it from the scan.
    const droppable = lists.filter((p) => equalityTargets(predicate).has(targetOfPredicate(p)!));
    // A list of one value is parsed as `x = value`, which also fixes x for the ORDER BY.
    const single = (p: ColumnPredicate): ColumnPredicate => (lists.includes(p) ? { ...p, op: "eq", value: undefined } : p);
    for (let mask = 0; mask < 1 << droppable.length; mask++) {
      const dropped = new Set(droppable.filter((_, i) => mask & (1 << i)));
      const kept = predicates.filter((p) => !dropped.has(p) && (lists.includes(p) || !implies(predicate, exprFromPredicate(p))));
      verdicts.add(judge(table, index, pattern, predicates, kept, predicate, undefined).verdict);
      verdicts.add(judge(table, index, pattern, predicates.map(single), kept.map(single), predicate, undefined).verdict);
    }
  }
  if (verdicts.size === 1) return answer;
  return { ...answer, uncertain: answer.uncertain ?? IN_VALUES_UNKNOWN };
}

/** A literal IN list whose values are unknown, at its most provable: it proves any comparison on its column. */
function anyValueOf(p: ColumnPredicate): Expr {
  return { kind: "atom", atom: { target: targetOfPredicate(p)!, test: "any-value" } };
}

/** Columns the expression compares with `=` to a constant somewhere: the only WHERE that can prove an IN list. */
function equalityTargets(e: Expr): Set<string> {
  const found = new Set<string>();
  const visit = (x: Expr): void => {
    if (x.kind === "atom" && x.atom.test === "eq" && x.atom.value !== undefined) found.add(x.atom.target);
    if (x.kind === "and" || x.kind === "or") x.items.forEach(visit);
  };
  visit(e);
  return found;
}

/** The query does not prove the index's WHERE: the planner cannot use it (with a caveat for parameters). */
function refused(table: Table, index: Index, pattern: AccessPattern, predicate: Expr, uncertain: string | undefined): IndexMatch {
  let blocked = parameterBlocked(predicate, pattern);
  // Worth a caveat only when the index would serve the query were those values written as literals.
  if (blocked && matchIndex(table, index, blocked.optimistic).verdict !== "served") blocked = null;
  const blockedColumns = blocked?.columns ?? null;
  return {
    index,
    boundKeys: [],
    filterKeys: [],
    orderServed: false,
    verdict: "not-served",
    access: "none",
    reason: blockedColumns
      ? `its WHERE (${index.where ?? exprToText(predicate)}) compares ${blockedColumns.join(", ")} to constants, but the query sends ${blockedColumns.length > 1 ? "those values" : "that value"} as parameters; a generic plan cannot prove the WHERE, so PostgreSQL stops using the index once it plans generically`
      : `the query does not imply its WHERE (${index.where ?? exprToText(predicate)})`,
    uncertain,
    parameterBlockedColumns: blockedColumns ?? undefined,
  };
}

const columnMaps = new WeakMap<Column[], { size: number; byName: Map<string, Column> }>();

/**
 * The table's columns by name, built once per column list: judge() asks for every index and pattern.
 * A list that changed length since (a table still being replayed) is indexed again, as in lookup.ts.
 */
function columnsOf(table: Table): Map<string, Column> {
  const cached = columnMaps.get(table.columns);
  if (cached && cached.size === table.columns.length) return cached.byName;
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  columnMaps.set(table.columns, { size: table.columns.length, byName });
  return byName;
}

/**
 * How the planner uses an index whose WHERE (if any) the query proves: `predicates` are the query's
 * clauses, `remaining` those the WHERE does not already guarantee.
 */
function judge(
  table: Table,
  index: Index,
  pattern: AccessPattern,
  predicates: ColumnPredicate[],
  remaining: ColumnPredicate[],
  predicate: Expr | null,
  uncertain: string | undefined,
): IndexMatch {
  const base = { index, boundKeys: [] as string[], filterKeys: [] as string[], orderServed: false };
  const method = index.method.toLowerCase();
  if (method !== "btree") {
    return matchOtherMethod(table, index, pattern, predicates, remaining, predicate !== null, uncertain);
  }

  const columnsByName = columnsOf(table);
  const classes = index.keys.map((key) => {
    const target = keyTarget(key);
    let best: ClauseClass = "unusable";
    for (const p of remaining) {
      if (targetOfPredicate(p) !== target || target === null) continue;
      const c = classify(p, key, key.column ? columnsByName.get(key.column) : undefined);
      if (c === "equality") best = "equality";
      else if (c === "range" && best === "unusable") best = "range";
    }
    return best;
  });

  const boundKeys: string[] = [];
  let k = 0;
  for (; k < index.keys.length; k++) {
    if (classes[k] === "equality") boundKeys.push(keyLabel(index.keys[k]));
    else if (classes[k] === "range") {
      boundKeys.push(keyLabel(index.keys[k]));
      k++;
      break;
    } else break;
  }
  const filterKeys = index.keys.slice(boundKeys.length).filter((_, i) => classes[i + boundKeys.length] !== "unusable").map(keyLabel);

  const pinned = new Set(predicates.filter(pins).map(targetOfPredicate).filter((t): t is string => t !== null));
  const order = orderPrefixServed(index, pattern.orderBy, pinned);
  const orderServed = order.wanted > 0 && order.served === order.wanted;
  const result = { ...base, boundKeys, filterKeys, orderServed, uncertain };

  if (boundKeys.length > 0) {
    const eq = boundKeys.filter((_, i) => classes[i] === "equality");
    const range = classes[boundKeys.length - 1] === "range" ? boundKeys[boundKeys.length - 1] : null;
    const parts = [eq.length ? `equality on ${eq.join(", ")}` : "", range ? `range on ${range}` : ""].filter(Boolean);
    const tail = filterKeys.length ? `; ${filterKeys.join(", ")} only filter inside the index` : "";
    return { ...result, verdict: "served", access: "bound", reason: `${index.name} bounds the scan by ${parts.join(" then ")}${tail}` };
  }
  if (orderServed && pattern.limited) {
    return { ...result, verdict: "served", access: "order", reason: `${index.name} returns rows in the ORDER BY order, so the LIMIT stops the scan early` };
  }
  if (filterKeys.length > 0) {
    const leading = index.keys.slice(0, index.keys.findIndex((_, i) => classes[i] !== "unusable")).map(keyLabel);
    return {
      ...result,
      verdict: "partial",
      access: "skip-scan",
      reason: `${index.name} leads with ${leading.join(", ")}, which the query does not constrain; PostgreSQL 18 can only skip-scan it for ${filterKeys.join(", ")}`,
    };
  }
  if (predicate && remaining.length === 0) {
    return { ...result, verdict: "served", access: "predicate", reason: `${index.name}'s WHERE is exactly the query's filter` };
  }
  if (orderServed) {
    return {
      ...result,
      verdict: "partial",
      access: "full-scan",
      reason: `${index.name} delivers the ORDER BY, but without a LIMIT the whole index is read and every row filtered`,
    };
  }
  if (order.served > 0) {
    return {
      ...result,
      verdict: "partial",
      access: "full-scan",
      reason: `${index.name} delivers only the first ${order.served} of ${order.wanted} ORDER BY columns: the whole index is read, then sorted`,
    };
  }
  if (predicate) {
    return {
      ...result,
      verdict: "partial",
      access: "full-scan",
      reason: `the query implies ${index.name}'s WHERE, but no key column takes a clause: the whole partial index is read and filtered`,
    };
  }
  return { ...result, verdict: "not-served", access: "none", reason: `no clause of the query can use ${index.name}'s leading column ${keyLabel(index.keys[0] ?? { descending: false, nullsFirst: false })}` };
}

/**
 * Hash indexes take `=` on their one column: `= value`, `IN (...)` / `= ANY(...)` (in a bitmap scan),
 * and a boolean test, which the boolean opfamily reads as `= true` / `= false`; never IS NULL, and a
 * hash index cannot be read whole, so it needs one of these even when its WHERE is the query's filter.
 * Being a !amoptionalkey method, it also keeps the clauses its WHERE implies for its scan
 * (check_index_predicates), so those count too. GIN, GiST, BRIN and others serve operators we do not model.
 */
function matchOtherMethod(
  table: Table,
  index: Index,
  pattern: AccessPattern,
  predicates: ColumnPredicate[],
  remaining: ColumnPredicate[],
  partial: boolean,
  uncertain: string | undefined,
): IndexMatch {
  const base = { index, boundKeys: [] as string[], filterKeys: [] as string[], orderServed: false };
  const method = index.method.toLowerCase();
  if (method === "hash") {
    const key = index.keys[0];
    const target = key ? keyTarget(key) : null;
    const column = key?.column ? table.columns.find((c) => c.name === key.column) : undefined;
    const eq = index.keys.length === 1 && target !== null && predicates.some((p) => targetOfPredicate(p) === target && p.op !== "is-null" && classify(p, key, column) === "equality");
    if (eq) {
      return { ...base, boundKeys: [keyLabel(key)], verdict: "served", access: "bound", reason: `hash index ${index.name} takes the equality on ${keyLabel(key)}`, uncertain };
    }
    return {
      ...base,
      verdict: "not-served",
      access: "none",
      reason: `hash index ${index.name} is only searched by equality on ${key ? keyLabel(key) : "its column"}, which the query does not give it`,
      uncertain,
    };
  }
  // pg_trgm and pgvector operator classes (search.ts).
  const search = searchUse(table, index, pattern, remaining);
  if (search?.served || search?.partial) return { ...base, boundKeys: search.boundKeys, verdict: search.served ? "served" : "partial", access: search.access, reason: search.reason, uncertain };
  if (search && (method === "hnsw" || method === "ivfflat")) return { ...base, verdict: "not-served", access: "none", reason: search.reason, uncertain };
  if (partial && remaining.length === 0) {
    return { ...base, verdict: "served", access: "predicate", reason: `${index.name}'s WHERE is exactly the query's filter`, uncertain };
  }
  const touches = remaining.some((p) => index.keys.some((k) => keyTarget(k) === targetOfPredicate(p)));
  return {
    ...base,
    verdict: "not-served",
    access: "none",
    reason: search?.reason ?? `${index.name} is a ${method} index, which serves none of the query's btree-style comparisons`,
    uncertain: touches && !search ? `${method} operators are not modelled` : uncertain,
  };
}

/**
 * Columns the index's WHERE fixes to constants while the query compares them to parameters: if the
 * WHERE would be proved with those values written as literals, the columns and that literal query.
 */
function parameterBlocked(predicate: Expr, pattern: AccessPattern): { columns: string[]; optimistic: AccessPattern } | null {
  const fixed = new Map<string, Atom>();
  for (const c of conjuncts(predicate)) {
    if (c.kind === "atom" && ((c.atom.test === "eq" && c.atom.value !== undefined) || c.atom.test === "bool-true" || c.atom.test === "bool-false")) {
      fixed.set(c.atom.target, c.atom);
    }
  }
  const columns: string[] = [];
  const predicates = pattern.predicates.map((p): ColumnPredicate => {
    const target = targetOfPredicate(p);
    const constant = target ? fixed.get(target) : undefined;
    // A value sent inside a cast (Prisma's enum parameters) is not folded even in a custom plan.
    if (p.sentAs === "param" && !p.castTo && constant && (p.op === "eq" || p.op === "bool")) {
      columns.push(p.column ?? p.expression ?? target!);
      const value = constant.value ? literalToSql(constant.value) : constant.test === "bool-true" ? "true" : "false";
      return { ...p, value, sentAs: "literal" };
    }
    return p;
  });
  if (columns.length === 0) return null;
  const optimistic = { ...pattern, predicates };
  return implies({ kind: "and", items: predicates.map(exprFromPredicate) }, predicate) ? { columns, optimistic } : null;
}

function atomTargets(e: Expr): string[] {
  if (e.kind === "atom") return [e.atom.target];
  if (e.kind === "and" || e.kind === "or") return e.items.flatMap(atomTargets);
  return [];
}

const RANK: Record<Verdict, number> = { served: 0, partial: 1, "not-served": 2 };
const ACCESS_RANK: Record<Access, number> = { bound: 0, predicate: 1, order: 2, "skip-scan": 3, "full-scan": 4, none: 5 };


/** The planner's answer over every index of the table: the best use any index offers. */
export function matchPattern(table: Table, pattern: AccessPattern, extraIndexes: Index[] = []): PatternMatch {
  const matches = [...indexesOf(table), ...extraIndexes].map((index) => matchIndex(table, index, pattern));
  // Between two indexes that bound the scan by as many keys, equality keys narrow it more than a range does (the
  // planner's cost: an equality selects a few rows per key, an open range a third of the table under a generic plan).
  const equalities = new Set(pattern.predicates.filter((p) => !p.conditional && (p.op === "eq" || p.op === "is-null")).map((p) => p.column ?? p.expression));
  const equalityBound = (m: IndexMatch) => m.boundKeys.filter((k) => equalities.has(k)).length;
  const ranked = [...matches].sort(
    (a, b) =>
      RANK[a.verdict] - RANK[b.verdict] ||
      ACCESS_RANK[a.access] - ACCESS_RANK[b.access] ||
      b.boundKeys.length - a.boundKeys.length ||
      equalityBound(b) - equalityBound(a) ||
      a.index.keys.length - b.index.keys.length,
  );
  const best = ranked[0] && ranked[0].verdict !== "not-served" ? ranked[0] : null;
  const uncertain = best?.uncertain ?? (best ? undefined : matches.find((m) => m.uncertain)?.uncertain);
  return {
    verdict: best?.verdict ?? "not-served",
    best,
    matches,
    parameterBlocked: matches.filter((m) => m.parameterBlockedColumns && m.parameterBlockedColumns.length > 0),
    uncertain,
  };
}
