// How many times a loop can run, from what the audit sees of the collection it walks. A loop over a
// list set in configuration, over the one row a unique key finds, or over the parts of one parent row
// (the recipients of one document, the lines of one invoice) runs a handful of times: its round trips
// do not grow with the data, so the finding is noted, not routine. A loop over a whole table, a page of
// results or a list the request sends is none of these and keeps its severity.
import type { AccessPattern, ColumnPredicate, Table } from "../core/types.js";
import { findPatternTable, findTableExact } from "../schema/lookup.js";
import type { RuleContext } from "./rule.js";
import { growth } from "./table-evidence.js";

const squash = (name: string) => name.replace(/_/g, "").toLowerCase();

/** Equality filters every run of the query applies (not added under an `if`). */
function pinned(pattern: AccessPattern): ColumnPredicate[] {
  return pattern.predicates.filter((p) => p.op === "eq" && p.column && !p.conditional);
}

function has(predicates: ColumnPredicate[], column: string): boolean {
  return predicates.some((p) => squash(p.column!) === squash(column));
}

/** The unique key (primary key or full unique index) the query's equalities cover, or undefined. */
function uniqueCovered(table: Table, predicates: ColumnPredicate[]): string[] | undefined {
  const keys = [
    ...(table.primaryKey ? [table.primaryKey.columns] : []),
    ...table.indexes.filter((i) => i.unique && !i.where && i.keys.every((k) => k.column)).map((i) => i.keys.map((k) => k.column!)),
  ];
  return keys.find((cols) => cols.length > 0 && cols.every((c) => has(predicates, c)));
}

const quote = (name: string) => `\`${name}\``;

/**
 * Why the rows of `source` are few by nature, as a phrase completing "the loop walks ...", or undefined.
 * - one row: its equalities cover a unique key;
 * - the parts of one item: its equalities cover a foreign key to a parent that is an item inside a
 *   container (two levels of required ownership above it, see ownershipDepth: a document in a team of an
 *   organisation, not the team or the project itself), the child rows are deleted with the parent (ON
 *   DELETE CASCADE, a composition), the query reads them all at once (no LIMIT, page or time range, so the
 *   code expects a set it can hold), and nothing shows the child table growing as a history
 *   (table-evidence `growth`).
 */
export function fewRows(context: RuleContext, source: AccessPattern): string | undefined {
  // An OR the extractor could not split is one more ANDed condition: it narrows the rows, never widens them.
  if (source.kind !== "select") return undefined;
  const table = findPatternTable(context.schema, source);
  if (!table) return undefined;
  const predicates = pinned(source);
  const unique = uniqueCovered(table, predicates);
  if (unique) return `the one row of ${quote(source.table)} its query finds by the unique key (${unique.join(", ")}) (line ${source.location.line})`;
  if (source.limited || source.predicates.some((p) => p.op === "range")) return undefined;
  for (const fk of table.foreignKeys) {
    if (fk.columns.length === 0 || !fk.columns.every((c) => has(predicates, c)) || fk.onDelete !== "cascade") continue;
    const parent = findTableExact(context.schema, fk.references.schema, fk.references.table);
    if (!parent || parent === table) continue;
    if (ownershipDepth(context, parent) < 2 || growth(context, table)) continue;
    return (
      `the ${quote(source.table)} rows of one ${quote(parent.name)} (line ${source.location.line}, by ${fk.columns.join(", ")}): ` +
      `parts deleted with their ${quote(parent.name)}, read all at once, and nothing shows ${quote(table.name)} growing as a history`
    );
  }
  return undefined;
}

/**
 * How many levels of required ownership lie above a table: 0 for a root (an organisation, a user: no NOT
 * NULL foreign key), 1 for what a root owns directly (a team, a project, a workspace: the containers rows
 * are counted per), 2 or more for an item inside one (a document in a team of an organisation). Cycles
 * and self references are cut.
 */
function ownershipDepth(context: RuleContext, table: Table, seen: Set<Table> = new Set()): number {
  if (seen.has(table) || seen.size > 8) return 0;
  seen.add(table);
  let depth = 0;
  for (const fk of table.foreignKeys) {
    if (!fk.columns.every((c) => table.columns.find((col) => col.name === c)?.nullable === false)) continue;
    const parent = findTableExact(context.schema, fk.references.schema, fk.references.table);
    if (!parent || parent === table) continue;
    depth = Math.max(depth, 1 + ownershipDepth(context, parent, new Set(seen)));
  }
  return depth;
}

/** The patterns a call site sent, found by its location. */
export function patternsAt(context: RuleContext, at: { file: string; line: number; column: number }): AccessPattern[] {
  return context.patterns.filter((p) => p.location.file === at.file && p.location.line === at.line && p.location.column === at.column);
}

/**
 * Why the loop around `pattern` runs only a few times, as a phrase completing "the loop walks ...", or
 * undefined when nothing says so. A configured list, or rows of a query that `fewRows` bounds.
 */
export function smallLoop(context: RuleContext, pattern: AccessPattern): string | undefined {
  const use = pattern.loopUse;
  if (!use) return undefined;
  if (use.configList) return `${use.configList}, a list set in the deployment's configuration`;
  if (use.parsedList) return use.parsedList;
  if (use.partsOf) return includedParts(context, use.partsOf);
  if (!use.rowsFrom) return newItemParts(context, pattern);
  const [source] = patternsAt(context, use.rowsFrom);
  return source ? fewRows(context, source) : undefined;
}

/**
 * Why a loop over a relation included in one row is small, as a phrase completing "the loop walks ...", or
 * undefined: the row's query returned one row (the code reads the relation as a property of it), and the
 * relation's table is the parts of one item as `fewRows` says (an ON DELETE CASCADE foreign key to the
 * row's table, which is an item inside a container, and nothing shows the child table growing as a
 * history). A subset of them (`.filter(...)`, a list pushed while walking them) is fewer still. The child
 * table is the one with such a foreign key whose name the relation names (`fields` -> `Field`).
 */
function includedParts(context: RuleContext, partsOf: NonNullable<NonNullable<AccessPattern["loopUse"]>["partsOf"]>): string | undefined {
  const [source] = partsOf.at ? patternsAt(context, partsOf.at) : [];
  // A query the reader could not read: the table the holding name names (`envelope` -> `Envelope`).
  const parent = source
    ? source.kind === "select"
      ? findPatternTable(context.schema, source)
      : undefined
    : partsOf.holder
      ? [...context.schema.tables.values()].find((t) => [squash(partsOf.holder!), `${squash(partsOf.holder!)}s`].includes(squash(t.name)))
      : undefined;
  if (!parent) return undefined;
  const readAt = source ? `read at line ${source.location.line}` : `\`${partsOf.holder}\` holds`;
  const named = squash(partsOf.relation);
  for (const table of context.schema.tables.values()) {
    if (table === parent) continue;
    const name = squash(table.name);
    // `fields` -> `Field`, `lines` -> `invoice_lines`, `entries` -> `ledger_entry`.
    const singular = named.endsWith("ies") ? `${named.slice(0, -3)}y` : named.endsWith("ses") || named.endsWith("xes") ? named.slice(0, -2) : named.endsWith("s") ? named.slice(0, -1) : named;
    if (!(name.endsWith(singular) || name.endsWith(named))) continue;
    const fk = table.foreignKeys.find((k) => k.onDelete === "cascade" && k.enforced !== false && findTableExact(context.schema, k.references.schema, k.references.table) === parent);
    if (!fk || ownershipDepth(context, parent) < 2 || growth(context, table)) continue;
    return (
      `the \`${table.name}\` rows of the one \`${parent.name}\` row ${readAt} (its \`${partsOf.relation}\`, or some of them): ` +
      `parts deleted with their \`${parent.name}\`, and nothing shows \`${table.name}\` growing as a history`
    );
  }
  return undefined;
}

/**
 * Why an INSERT loop writes the parts of one new item, as a phrase completing "the loop walks ...", or
 * undefined. The loop writes rows keyed by a row the same function created (or upserted) before the loop
 * (`modelId: createdModel.id`): the tiers of one new price model, the fields of one new document. Their
 * count is what one request carries. It holds only when the written table has an ON DELETE CASCADE
 * foreign key to the created row's table (parts that live and die with it), the loop does not walk rows a
 * query returned (a copy of existing rows is bounded only as `fewRows` says), and nothing shows the
 * written table growing as a history (table-evidence `growth`). Rows written for an existing parent, read
 * by a query, are not the parts of a new item: the request adds to a set that keeps growing.
 */
function newItemParts(context: RuleContext, pattern: AccessPattern): string | undefined {
  const use = pattern.loopUse;
  const parentAt = use?.parentCreated;
  if (!use || !parentAt || use.chained || use.rowsFrom || (pattern.kind !== "insert" && pattern.kind !== "upsert")) return undefined;
  const parent = patternsAt(context, parentAt.at).find((p) => p.kind === "insert" || p.kind === "upsert");
  const parentTable = parent && findPatternTable(context.schema, parent);
  const table = findPatternTable(context.schema, pattern);
  if (!parent || !parentTable || !table || parentTable === table) return undefined;
  const fk = table.foreignKeys.find(
    (k) => k.onDelete === "cascade" && k.enforced !== false && findTableExact(context.schema, k.references.schema, k.references.table) === parentTable,
  );
  if (!fk || growth(context, table)) return undefined;
  // An upserted row may exist already: its parts are still the ones this request writes for it.
  const [created, item] = parent.kind === "upsert" ? ["upserted", "one item this request writes"] : ["created", "one new item"];
  return (
    `the ${quote(pattern.table)} rows of the one ${quote(parent.table)} row this function ${created} at line ${parent.location.line} ` +
    `(written with ${parentAt.field}): the parts of ${item}, as many as one request carries, deleted with their ${quote(parent.table)}`
  );
}
