// How much of a query an index the planner can use actually serves, and which predicates an index
// can help with at all.
//
// An index "serves" a query once its scan is bounded (match.ts), but a bounded scan can still read far
// more than the query wants: an index on `(store_id)` for `store_id = $1 AND pickup_code = $2` reads
// every order the store ever had, and a key's history grows without bound. Likewise an index that
// only supplies the ORDER BY (the primary key for `WHERE email = $1 ORDER BY id DESC LIMIT 50`) reads
// the table in key order and checks each row: for a rare value, the whole table.
import type { AccessPattern, ColumnPredicate, Table } from "../core/types.js";
import type { IndexMatch, PatternMatch } from "./match.js";
import { exprFromPredicate, implies, targetOfPredicate } from "./predicates.js";
import { indexPredicate, keyTarget } from "./match.js";
import { keyProblem } from "./index-ddl.js";
import { parseSql } from "../sql/parser.js";
import { tableIndexes } from "../schema/lookup.js";

export type PartlyServed =
  /** The index bounds the scan by some selective columns; others, or the ORDER BY, are left to filter or sort. */
  | { kind: "partly"; match: IndexMatch; unbound: string[]; unsorted: boolean }
  /** The index supplies only the ORDER BY; selective filters are checked row by row. */
  | { kind: "order-only"; match: IndexMatch; unbound: string[] }
  /** Only the ORDER BY, and the filter columns are reachable inside it by PostgreSQL 18's skip scan. */
  | { kind: "order-skip-scan"; match: IndexMatch; unbound: string[] };

function columnType(table: Table, target: string): string | undefined {
  return table.columns.find((c) => c.name === target)?.type;
}

/** A boolean column has two values: filtering on it narrows little, so it justifies no index key by itself. */
export function lowCardinality(table: Table, p: ColumnPredicate): boolean {
  if (p.op === "bool" || p.op === "bool-test") return true;
  const type = p.column ? columnType(table, p.column) : undefined;
  return !!type && /^bool/i.test(type);
}

/** Words that name a time still ahead when the row is written: an expiry, a due date, a next run. */
const DEADLINE_WORDS = new Set(["expires", "expire", "expiry", "expiration", "until", "due", "deadline", "scheduled", "next", "retry", "available"]);

function isDeadlineColumn(column: string): boolean {
  return column.split(/_|(?<=[a-z0-9])(?=[A-Z])/).some((word) => DEADLINE_WORDS.has(word.toLowerCase()));
}

/**
 * An open-ended range selects few rows unless it points at the bulk of the table, by what the column means:
 * - a deadline (`expires_at`, `due_at`, `next_retry_at`): `< now()` (or `< $1`) is the rows whose time has come,
 *   which a job handles or removes run after run, so in steady state only the few since its last run match;
 *   `> now()` is every row still live;
 * - an event time (`created_at`): `<= now()` is every row ever written; `> now() - interval '1 day'`, `>= $1`
 *   and a retention cutoff `< now() - interval '90 days'` are the recent rows, or the few that crossed the
 *   cutoff since the job last ran. The planner agrees on append-only tables: their rows lie in time order, so
 *   even a generic plan's one-third estimate for `>= $1` reads the index (checked in the planner tests).
 */
function selectiveOpenRange(p: ColumnPredicate): boolean {
  if (!p.column) return false;
  const upper = p.operator === "<" || p.operator === "<=";
  if (isDeadlineColumn(p.column)) return upper;
  return !(upper && p.clock === "now");
}

/**
 * Predicates that select few rows, so an index on them pays: equality, IN, IS NULL, a boolean
 * test for one value, a literal prefix LIKE, a range bounded on both sides, and the open-ended ranges
 * selectiveOpenRange() names. Any other open-ended range (`created_at <= now()`), `IS NOT NULL`, `<>` and
 * `LIKE '%x%'` select most of a table; the planner would read it whole anyway.
 */
export function selectivePredicates(pattern: AccessPattern): ColumnPredicate[] {
  const bounds = new Map<string, Set<"lower" | "upper">>();
  for (const p of pattern.predicates) {
    const target = targetOfPredicate(p);
    if (!target || p.op !== "range") continue;
    const side = p.operator === "<" || p.operator === "<=" ? "upper" : "lower";
    bounds.set(target, (bounds.get(target) ?? new Set()).add(side));
  }
  return pattern.predicates.filter((p) => {
    switch (p.op) {
      case "eq":
      case "in":
      case "is-null":
      case "bool":
        return true;
      case "bool-test":
        return p.value === "true" || p.value === "false";
      case "like-prefix":
        return p.sentAs === "literal" && !p.caseInsensitive;
      case "range":
        return (bounds.get(targetOfPredicate(p) ?? "")?.size ?? 0) === 2 || selectiveOpenRange(p);
      default:
        return false;
    }
  });
}

/** Can an index help this query at all: a selective predicate, or an ORDER BY with a LIMIT? */
export function indexWorthy(pattern: AccessPattern): boolean {
  return selectivePredicates(pattern).length > 0 || (pattern.orderBy.length > 0 && pattern.limited);
}

/** The index finds at most one row: unique, every key bound by equality (a unique key pins the row). */
function pinsOneRow(match: IndexMatch, pattern: AccessPattern): boolean {
  const index = match.index;
  if (!index.unique || match.boundKeys.length < index.keys.length) return false;
  const eqTargets = new Set(pattern.predicates.filter((p) => p.op === "eq" || p.op === "is-null").map(targetOfPredicate));
  return index.keys.every((k) => k.column !== undefined && eqTargets.has(k.column));
}

/**
 * Whether the index the planner would use serves the query only in part: null when it serves it
 * whole (or finds at most one row), else what is left undone. Boolean filters do not count: they
 * narrow little.
 */
export function partlyServed(table: Table, pattern: AccessPattern, match: PatternMatch): PartlyServed | null {
  const best = match.best;
  if (match.verdict !== "served" || !best) return null;
  if (pinsOneRow(best, pattern)) return null;
  const where = indexPredicate(best.index);
  const bound = new Set(best.index.keys.slice(0, best.boundKeys.length).map(keyTarget));
  const inside = new Set(best.index.keys.filter((k) => best.filterKeys.includes(k.column ?? k.expression ?? "")).map(keyTarget));
  const unbound = selectivePredicates(pattern)
    .filter((p) => !lowCardinality(table, p))
    .filter((p) => {
      const target = targetOfPredicate(p);
      if (!target) return false;
      if (bound.has(target) || keyProblem(table, p) !== null) return false;
      // A clause the index's WHERE already guarantees costs nothing.
      return !(where && implies(where, exprFromPredicate(p)));
    })
  const distinct = [...new Set(unbound.map((p) => p.column ?? p.expression ?? "?"))];
  if (best.access === "order") {
    if (distinct.length === 0) return null;
    const reachable = unbound.every((p) => inside.has(targetOfPredicate(p)));
    return reachable ? { kind: "order-skip-scan", match: best, unbound: distinct } : { kind: "order-only", match: best, unbound: distinct };
  }
  if (best.access !== "bound") return null;
  const unsorted =
    pattern.limited && pattern.orderBy.length > 0 && !best.orderServed && pattern.orderBy.every((o) => targetOfPredicate(o) !== null && keyProblem(table, o) === null);
  if (distinct.length === 0 && !unsorted) return null;
  return { kind: "partly", match: best, unbound: distinct, unsorted };
}

/**
 * A comparison of a cast key column with a value (`id::text = $1` on a primary key): the cast hides
 * the column from its index, and an expression index on the cast would duplicate the key. The query,
 * not the schema, should change: compare the column and cast the value (`id = $1::uuid`).
 */
export function castOnIndexedColumn(table: Table, pattern: AccessPattern): { expression: string; column: string; type: string; index: string } | null {
  for (const p of pattern.predicates) {
    if (!p.expression || (p.op !== "eq" && p.op !== "in")) continue;
    const parsed = parseSql(`SELECT ${p.expression}`);
    const node = parsed.ok ? parsed.statements[0]?.ast?.SelectStmt?.targetList?.[0]?.ResTarget?.val : undefined;
    const fields: any[] | undefined = node?.TypeCast?.arg?.ColumnRef?.fields;
    const column: string | undefined = fields?.[fields.length - 1]?.String?.sval;
    const col = column ? table.columns.find((c) => c.name === column) : undefined;
    if (!col || !column) continue;
    const index = tableIndexes(table).find((i) => i.where === null && i.keys[0]?.column === column);
    if (index) return { expression: p.expression, column, type: col.type, index: index.name };
  }
  return null;
}
