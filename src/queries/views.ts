// Queries on views, rewritten onto the table the view reads. PostgreSQL flattens a simple view into
// the query that uses it (pull_up_simple_subquery in optimizer/prep/prepjointree.c): the view's
// columns become the base table's, and the view's WHERE joins the query's own, so the base table's
// indexes serve the query as if it had been written against the table with both WHEREs.
// A view the model cannot see through (View.unresolved), or a query that filters or sorts on a
// column the view computes, is left on the view's name: no table, so no advice, and it is listed
// by unresolvedViews for the report's scope.
import type { AccessPattern, ColumnPredicate, OrderTerm, Schema, Table, View } from "../core/types.js";
import { findPatternTable } from "../schema/lookup.js";
import { emptyTable } from "../schema/replay-state.js";
import { parseSql } from "../sql/parser.js";
import { patternsFromStatement } from "./sql-patterns.js";

/** A view queried that the audit could not match to a table, and why. */
export interface UnresolvedView {
  /** `schema.name` of the view. */
  view: string;
  reason: string;
}

// Views looked up with the tables' own lookup (same quoting and case rules), as stand-in tables.
const standIns = new WeakMap<View[], { tables: Table[]; byTable: Map<Table, View> }>();

function viewsAsTables(views: View[]): { tables: Table[]; byTable: Map<Table, View> } {
  let cached = standIns.get(views);
  if (cached && cached.tables.length === views.length) return cached;
  const byTable = new Map<Table, View>();
  const tables = views.map((view) => {
    const table = emptyTable(view.schema, view.name, 0, view.location);
    byTable.set(table, view);
    return table;
  });
  cached = { tables, byTable };
  standIns.set(views, cached);
  return cached;
}

/** The view a query names, found the way findPatternTable finds tables: by exact name. */
export function findView(schema: Schema, pattern: Pick<AccessPattern, "table" | "relation">): View | undefined {
  if (!schema.views || schema.views.length === 0) return undefined;
  const { tables, byTable } = viewsAsTables(schema.views);
  const table = findPatternTable({ tables }, pattern);
  return table ? byTable.get(table) : undefined;
}

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;

function quoted(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The base table as SQL text names it: `schema.table`, quoted where the name needs it. */
function baseName(view: View): string {
  return `${quoted(view.base!.schema)}.${quoted(view.base!.table)}`;
}

// The view's WHERE as the predicates an extractor reads from `SELECT ... FROM base WHERE ...`.
const wherePredicates = new WeakMap<View, { predicates: ColumnPredicate[]; hasOr: boolean }>();

function viewWhere(view: View): { predicates: ColumnPredicate[]; hasOr: boolean } {
  const cached = wherePredicates.get(view);
  if (cached) return cached;
  let result = { predicates: [] as ColumnPredicate[], hasOr: false };
  if (view.base?.where) {
    const outcome = parseSql(`SELECT 1 FROM ${baseName(view)} WHERE ${view.base.where}`);
    if (outcome.ok) {
      const [own] = patternsFromStatement(outcome.statements[0].ast, {
        source: "view",
        location: view.location,
      }).filter((p) => p.relation?.name === view.base!.table && (p.relation.schema ?? "public") === view.base!.schema);
      if (own) result = { predicates: own.predicates, hasOr: own.hasOr };
    }
  }
  wherePredicates.set(view, result);
  return result;
}

type Rewritten = { ok: true; pattern: AccessPattern } | { ok: false; reason: string };

/** The pattern on the view's base table, or why it cannot be put there. */
function rewrite(pattern: AccessPattern, view: View): Rewritten {
  if (!view.base) return { ok: false, reason: view.unresolved ?? "it cannot be seen through" };
  const columns = new Map(view.columns.map((c) => [c.name, c.baseColumn]));
  const identity = view.columns.every((c) => c.baseColumn === c.name);
  let failure: string | null = null;
  const mapTerm = <T extends { column?: string; expression?: string }>(term: T): T => {
    if (term.column !== undefined) {
      const base = columns.get(term.column);
      if (base) return { ...term, column: base };
      failure ??= columns.has(term.column) ? `column ${term.column} is computed by the view` : `the view has no column ${term.column}`;
      return term;
    }
    // An expression names view columns in its text: only a view that renames nothing keeps it true.
    if (term.expression !== undefined && !identity) failure ??= `an expression on its columns (${term.expression})`;
    return term;
  };
  const predicates = pattern.predicates.map(mapTerm);
  const orderBy: OrderTerm[] = pattern.orderBy.map(mapTerm);
  if (failure) return { ok: false, reason: failure };
  const where = viewWhere(view);
  return {
    ok: true,
    pattern: {
      ...pattern,
      table: `${view.base.schema}.${view.base.table}`,
      relation: { schema: view.base.schema, name: view.base.table },
      predicates: [...predicates, ...where.predicates],
      hasOr: pattern.hasOr || where.hasOr,
      orderBy,
    },
  };
}

/**
 * Patterns on views, moved onto the tables the views read (the view's WHERE added to the query's);
 * every other pattern unchanged. Pure: the schema is only read.
 */
export function patternsThroughViews(patterns: AccessPattern[], schema: Schema): AccessPattern[] {
  if (!schema.views || schema.views.length === 0) return patterns;
  return patterns.map((pattern) => {
    if (findPatternTable(schema, pattern)) return pattern;
    const view = findView(schema, pattern);
    if (!view) return pattern;
    const rewritten = rewrite(pattern, view);
    return rewritten.ok ? rewritten.pattern : pattern;
  });
}

/** Views that patterns still name (after patternsThroughViews): each once, with why it was not resolved. */
export function unresolvedViews(patterns: AccessPattern[], schema: Schema): UnresolvedView[] {
  const out = new Map<string, UnresolvedView>();
  for (const pattern of patterns) {
    if (findPatternTable(schema, pattern)) continue;
    const view = findView(schema, pattern);
    if (!view) continue;
    const name = `${view.schema}.${view.name}`;
    if (out.has(name)) continue;
    const rewritten = rewrite(pattern, view);
    if (!rewritten.ok) out.set(name, { view: name, reason: rewritten.reason });
  }
  return [...out.values()];
}
