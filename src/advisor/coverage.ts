// How much of a query an index the planner can use actually serves, and which predicates an index
// can help with at all.
//
// An index "serves" a query once its scan is bounded (match.ts), but a bounded scan can still read far
// more than the query wants: an index on `(store_id)` for `store_id = $1 AND pickup_code = $2` reads
// every order the store ever had, and a key's history grows without bound. Likewise an index that
// only supplies the ORDER BY (the primary key for `WHERE email = $1 ORDER BY id DESC LIMIT 50`) reads
// the table in key order and checks each row: for a rare value, the whole table.
import type { AccessPattern, ColumnPredicate, DeclaredSchema, Schema, Statement, Table } from "../core/types.js";
import type { IndexMatch, PatternMatch } from "./match.js";
import { exprFromPredicate, implies, targetOfPredicate } from "./predicates.js";
import { indexPredicate, keyTarget } from "./match.js";
import { keyProblem } from "./index-ddl.js";
import { parseSql } from "../sql/parser.js";
import { findTableExact, tableIndexes } from "../schema/lookup.js";

export type PartlyServed =
  /** The index bounds the scan by some selective columns; others, or the ORDER BY, are left to filter or sort. */
  | {
      kind: "partly";
      match: IndexMatch;
      unbound: string[];
      unsorted: boolean;
      /**
       * Other indexes, one per unbound equality column, that the planner can AND with `match` in a bitmap
       * scan (BitmapAnd, nodeBitmapAnd.c): the rows are then found by every equality column, and only the
       * ORDER BY (a sort of the matches) or a range is left undone.
       */
      combined?: IndexMatch[];
    }
  /** The index supplies only the ORDER BY; selective filters are checked row by row. */
  | { kind: "order-only"; match: IndexMatch; unbound: string[] }
  /** Only the ORDER BY, and the filter columns are reachable inside it by PostgreSQL 18's skip scan. */
  | { kind: "order-skip-scan"; match: IndexMatch; unbound: string[] }
  /** The index binds only columns with few values (a boolean, a two-label enum): it does not narrow the scan. */
  | { kind: "few-values"; match: IndexMatch; bound: string[]; unbound: string[] };

/**
 * Whether a column of a table holds only a few distinct values: a boolean, or an enum with at most
 * FEW_ENUM_LABELS labels. An equality on such a column keeps a large share of the table, so it
 * justifies no index key by itself.
 */
export type FewValued = (table: Table, column: string) => boolean;

/** Enums with this many labels or fewer count as few-valued (`DOCUMENT`/`TEMPLATE`). */
export const FEW_ENUM_LABELS = 2;

function columnType(table: Table, target: string): string | undefined {
  return table.columns.find((c) => c.name === target)?.type;
}

/** `"FieldType"`, `public."FieldType"`, `status_enum`: the type's own name, without schema or quotes. */
function typeName(type: string): string {
  const parts = type.match(/"(?:[^"]|"")*"|[^."]+/g) ?? [type];
  const last = parts[parts.length - 1].trim();
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase();
}

/**
 * Booleans, and enums with few labels as the migrations leave them (CREATE TYPE ... AS ENUM, ALTER TYPE
 * ... ADD VALUE) or as an ORM schema declares them (Prisma `enum`, Drizzle `pgEnum`).
 */
export function fewValuedColumns(statements: readonly Statement[], declared: readonly DeclaredSchema[] = []): FewValued {
  const labels = enumLabelCounts(statements, declared);
  return (table, column) => {
    const type = columnType(table, column);
    if (!type || /\[\]$/.test(type.trim())) return false;
    if (/^bool/i.test(type)) return true;
    const count = labels.get(typeName(type));
    return count !== undefined && count <= FEW_ENUM_LABELS;
  };
}

/**
 * Booleans and enums of any label count: columns whose distinct values are a short list the schema
 * names. A generic plan estimates an equality on one as 1/ndistinct of the table (var_eq_non_const in
 * selfuncs.c), a large share however selective the value sent is.
 */
export function enumLikeColumns(statements: readonly Statement[], declared: readonly DeclaredSchema[] = []): FewValued {
  const labels = enumLabelCounts(statements, declared);
  return (table, column) => {
    const type = columnType(table, column);
    if (!type || /\[\]$/.test(type.trim())) return false;
    return /^bool/i.test(type) || labels.has(typeName(type));
  };
}

/** Label counts of the enums the migrations and the declared schemas define, by the type's own name. */
function enumLabelCounts(statements: readonly Statement[], declared: readonly DeclaredSchema[]): Map<string, number> {
  const labels = new Map<string, number>();
  for (const d of declared) for (const e of d.enums) labels.set(e.type, e.values.length);
  for (const s of statements) {
    const create = s.ast.CreateEnumStmt;
    const alter = s.ast.AlterEnumStmt;
    const names: any[] | undefined = (create ?? alter)?.typeName;
    const name = names?.[names.length - 1]?.String?.sval;
    if (!name) continue;
    if (create) labels.set(name, (create.vals ?? []).length);
    else if (alter?.newVal && !alter.oldVal) labels.set(name, (labels.get(name) ?? FEW_ENUM_LABELS) + 1);
  }
  return labels;
}

/**
 * The column among `others` that determines `column` through a foreign key, or null: `bank_account_id`
 * determines `team_id` when it references a parent row that carries its own `team_id`, a foreign key to
 * the same table as the child's (`transactions.team_id` and `bank_accounts.team_id` both reference
 * `teams`). An equality on `bank_account_id` then fixes `team_id`: keying both gains nothing.
 *
 * The parent's column must tie the two: either a composite foreign key of the child carries both
 * (`(bank_account_id, team_id) REFERENCES bank_accounts (id, team_id)`), which PostgreSQL enforces, or the
 * parent's column is NOT NULL, so every parent row belongs to exactly one such parent. A nullable column
 * (`ON DELETE SET NULL`, an optional scope) does not: one parent row then spans many values of `column`
 * (a viewer of a whole team who views many rooms), and the child's own `column` narrows within it.
 */
export function determinedBy(schema: Schema | undefined, table: Table, column: string, others: readonly string[]): string | null {
  if (!schema) return null;
  const own = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === column);
  if (!own) return null;
  // A composite foreign key that carries both columns, where `by` alone finds one parent row (its key):
  // PostgreSQL keeps the pair consistent.
  for (const fk of table.foreignKeys) {
    if (fk.columns.length < 2 || !fk.columns.includes(column) || fk.enforced === false) continue;
    const parent = findTableExact(schema, fk.references.schema, fk.references.table);
    if (!parent) continue;
    const by = fk.columns.find((c, i) => c !== column && others.includes(c) && uniqueAlone(parent, fk.references.columns[i]));
    if (by) return by;
  }
  for (const fk of table.foreignKeys) {
    if (fk.columns.length !== 1 || fk.columns[0] === column || !others.includes(fk.columns[0])) continue;
    const parent = findTableExact(schema, fk.references.schema, fk.references.table);
    if (!parent || parent === table) continue;
    const same = parent.foreignKeys.some(
      (f) =>
        f.columns.length === 1 &&
        f.columns[0] === column &&
        f.references.schema === own.references.schema &&
        f.references.table === own.references.table &&
        parent.columns.find((c) => c.name === column)?.nullable === false,
    );
    if (same) return fk.columns[0];
  }
  return null;
}

/** A column that is by itself the table's primary key or a unique index's only key (no WHERE). */
function uniqueAlone(table: Table, column: string | undefined): boolean {
  if (!column) return false;
  if (table.primaryKey?.columns.length === 1 && table.primaryKey.columns[0] === column) return true;
  return table.indexes.some((i) => i.unique && i.where === null && i.keys.length === 1 && i.keys[0].column === column);
}

/** Only booleans are known to be few-valued. */
export const BOOLEANS_ONLY: FewValued = (table, column) => /^bool/i.test(columnType(table, column) ?? "");

/** A filter on a column with few values (coverage.ts FewValued): it narrows little, so it justifies no index key by itself. */
export function lowCardinality(table: Table, p: ColumnPredicate, few: FewValued = BOOLEANS_ONLY): boolean {
  if (p.op === "bool" || p.op === "bool-test") return true;
  return !!p.column && few(table, p.column);
}

/** Words that name a time still ahead when the row is written: an expiry, a due date, a next run. */
const DEADLINE_WORDS = new Set(["expires", "expire", "expiry", "expiration", "until", "due", "deadline", "scheduled", "next", "retry", "available"]);

/** Words that name a soft delete: `deleted_at IS NULL` keeps the live rows, most of the table. */
const SOFT_DELETE_WORDS = new Set(["deleted", "archived", "removed", "trashed", "discarded"]);

function isSoftDeleteColumn(column: string): boolean {
  return column.split(/_|(?<=[a-z0-9])(?=[A-Z])/).some((word) => SOFT_DELETE_WORDS.has(word.toLowerCase()));
}

function isDeadlineColumn(column: string): boolean {
  return column.split(/_|(?<=[a-z0-9])(?=[A-Z])/).some((word) => DEADLINE_WORDS.has(word.toLowerCase()));
}

/**
 * An open-ended range selects few rows unless it points at the bulk of the table, by what the column means:
 * - a deadline (`expires_at`, `due_at`, `next_retry_at`): `< now()` (or `< $1`) is the rows whose time has come,
 *   which a job handles or removes run after run, so in steady state only the few since its last run match;
 *   `> now()` is every row still live;
 * - an event time (`created_at`): `<= now()` is every row ever written; `> now() - interval '1 day'`, `>= $1`
 *   and a retention cutoff `< now() - interval '90 days'` in a DELETE are the recent rows, or the few that
 *   crossed the cutoff since the job last ran; the same cut-off in an UPDATE or SELECT is every old row
 *   (olderThanCutoff). The planner agrees on append-only tables: their rows lie in time order, so
 *   even a generic plan's one-third estimate for `>= $1` reads the index (checked in the planner tests).
 */
function selectiveOpenRange(p: ColumnPredicate, pattern: AccessPattern): boolean {
  if (!p.column) return false;
  const upper = p.operator === "<" || p.operator === "<=";
  if (isDeadlineColumn(p.column)) return upper;
  if (upper && olderThanCutoff(p.column, pattern)) return false;
  return !(upper && p.clock === "now");
}

/** Words that name when a row was written or last touched: `created_at`, `updatedAt`, `last_seen_at`. */
const ACTIVITY_WORDS = new Set(["created", "updated", "inserted", "modified", "changed", "seen", "used", "accessed", "active", "activity", "visited", "logged", "occurred"]);

/**
 * An "older than" cut-off that matches most of the table: `updated_at < $1` (or `< now() - interval '30 days'`)
 * on a column that says when the row was written or last touched, in a query that neither deletes the rows
 * it matches nor reads them in ORDER BY ... LIMIT pages. A retention DELETE removes what crossed the cut-off,
 * so run after run only the rows that crossed since the last run match; an UPDATE or a SELECT leaves them in
 * place (a poll marked deleted keeps its old `updated_at`), so the cut-off matches every old row the table
 * ever had, and the planner reads the table whole (checked in the planner tests). A keyset page
 * (`created_at < $cursor ORDER BY created_at DESC LIMIT 20`) reads only its page.
 */
export function olderThanCutoff(column: string, pattern: AccessPattern): boolean {
  if (pattern.kind === "delete" || (pattern.limited && pattern.orderBy.length > 0)) return false;
  return column.split(/_|(?<=[a-z0-9])(?=[A-Z])/).some((word) => ACTIVITY_WORDS.has(word.toLowerCase()));
}

/**
 * Predicates that select few rows, so an index on them pays: equality, IN, IS NULL (but not on a
 * soft-delete column, `deleted_at IS NULL`, which keeps the live rows), a boolean
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
      case "bool":
        return true;
      case "is-null":
        return !(p.column && isSoftDeleteColumn(p.column));
      case "bool-test":
        return p.value === "true" || p.value === "false";
      case "like-prefix":
        return p.sentAs === "literal" && !p.caseInsensitive;
      case "range":
        return (bounds.get(targetOfPredicate(p) ?? "")?.size ?? 0) === 2 || selectiveOpenRange(p, pattern);
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
export function partlyServed(
  table: Table,
  pattern: AccessPattern,
  match: PatternMatch,
  options: { fewValued?: FewValued; schema?: Schema } = {},
): PartlyServed | null {
  const few = options.fewValued ?? BOOLEANS_ONLY;
  if (match.verdict !== "served" || !match.best) return null;
  const onlyFew = (m: IndexMatch) => {
    const keys = m.index.keys.slice(0, m.boundKeys.length);
    return keys.length > 0 && keys.every((k) => k.column !== undefined && few(table, k.column));
  };
  // When the index ranked first binds only few-valued columns, the planner would rather use one that
  // binds a selective column, if the table has one.
  const best =
    match.best.access === "bound" && onlyFew(match.best)
      ? (match.matches.filter((m) => m.verdict === "served" && m.access === "bound" && !onlyFew(m)).sort((a, b) => b.boundKeys.length - a.boundKeys.length)[0] ?? match.best)
      : match.best;
  // Any usable index that finds at most one row serves the query whole (the matcher may rank another first).
  if (match.matches.some((m) => m.verdict === "served" && m.access === "bound" && pinsOneRow(m, pattern))) return null;
  const where = indexPredicate(best.index);
  const boundKeys = best.index.keys.slice(0, best.boundKeys.length);
  const bound = new Set(boundKeys.map(keyTarget));
  const inside = new Set(best.index.keys.filter((k) => best.filterKeys.includes(k.column ?? k.expression ?? "")).map(keyTarget));
  const unbound = selectivePredicates(pattern)
    .filter((p) => !lowCardinality(table, p, few))
    .filter((p) => {
      const target = targetOfPredicate(p);
      if (!target) return false;
      if (bound.has(target) || keyProblem(table, p) !== null) return false;
      // A column a bound column fixes through a foreign key (a bank account's team) narrows nothing more.
      if (p.column && determinedBy(options.schema, table, p.column, [...bound].filter((b): b is string => b !== null))) return false;
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
  // An index whose bound columns all have few values (`Envelope (type)` for `type = 'DOCUMENT'`) reads a
  // large share of the table: it does not narrow the scan.
  if (onlyFew(best)) {
    return { kind: "few-values", match: best, bound: boundKeys.map((k) => k.column!), unbound: distinct };
  }
  const unsorted =
    pattern.limited && pattern.orderBy.length > 0 && !best.orderServed && pattern.orderBy.every((o) => targetOfPredicate(o) !== null && keyProblem(table, o) === null);
  if (distinct.length === 0 && !unsorted) return null;
  const combined = bitmapAnd(best, pattern, match, unbound);
  // The BitmapAnd finds the rows by every selective column and no ORDER BY ... LIMIT waits on a sort: the
  // scan reads only the matches, as a composite index would.
  const anded = new Set(combined?.map((m) => m.index.keys[0]?.column));
  if (combined && !unsorted && unbound.every((p) => p.column !== undefined && anded.has(p.column))) return null;
  return { kind: "partly", match: best, unbound: distinct, unsorted, ...(combined ? { combined } : {}) };
}

/**
 * The indexes a BitmapAnd would add to `best`: for each unbound equality or IN column, a plain btree whose
 * first key is that column. Columns with no such index, and ranges, are checked on the rows the BitmapAnd
 * finds, as on the rows of one index. Null when no index can be added, or when some unbound filter is of
 * another kind (a LIKE, an IS NULL), which this does not weigh.
 */
function bitmapAnd(best: IndexMatch, pattern: AccessPattern, match: PatternMatch, unbound: ColumnPredicate[]): IndexMatch[] | null {
  if (unbound.length === 0) return null;
  // Only indexes that each find the rows by an equality: a range index ANDed with a key's index is another case.
  // An IN list is searched the same way: a btree bitmap scan takes `= ANY(...)` whole (amsearcharray).
  const eq = new Set(pattern.predicates.filter((p) => (p.op === "eq" || p.op === "in") && !p.conditional).map((p) => p.column));
  if (best.boundKeys.length === 0 || !best.boundKeys.every((c) => eq.has(c))) return null;
  const out: IndexMatch[] = [];
  for (const p of unbound) {
    if (p.op === "range") continue;
    if ((p.op !== "eq" && p.op !== "in") || !p.column) return null;
    const other = match.matches.find(
      (m) => m !== best && m.verdict === "served" && m.access === "bound" && m.index.where === null && m.index.method.toLowerCase() === "btree" && m.index.keys[0]?.column === p.column,
    );
    if (other && !out.includes(other)) out.push(other);
  }
  return out.length > 0 ? out : null;
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
