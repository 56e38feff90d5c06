// Relations made from a query: CREATE [OR REPLACE] VIEW, CREATE MATERIALIZED VIEW, CREATE TABLE AS
// (WITH [NO] DATA) and SELECT ... INTO. A materialized view or CTAS table is a table of the model,
// with the query's output columns, and takes indexes. A view records the one table it reads (when
// PostgreSQL would flatten it into the query: see pull_up_simple_subquery in optimizer/prep/prepjointree.c),
// so queries on it can be matched against that table's indexes; a view is followed through renames
// of its table and columns, as the server follows it by OID.
import type { Table, View } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { referencedColumns, renameColumnReferences, stringList, stringOf } from "./ast.js";
import { truncateIdentifier } from "./naming.js";
import { selectOutput, seeThrough, type OutputColumn } from "./replay-select.js";
import { tableKey, type ReplayState } from "./replay-state.js";

/** CREATE TABLE AS / CREATE MATERIALIZED VIEW / SELECT INTO: a table with the query's columns. */
export function createTableAs(r: ReplayState, into: any, query: any, schemaOverride: string | null, materializedView = false): void {
  const relation = into?.rel;
  if (!relation?.relname || relation.relpersistence === "t") return;
  const schema = relation.schemaname ?? schemaOverride ?? r.creationSchema();
  const name = truncateIdentifier(relation.relname);
  // Taken: IF NOT EXISTS skips, and without it the server fails; either way nothing changes.
  if (r.relationsOf(schema).has(name)) return;
  const output = query?.SelectStmt ? selectOutput(r, query.SelectStmt) : { columns: [], complete: false };
  const names = stringList(into.colNames);
  const table = r.newTable(schema, name);
  if (materializedView) table.materializedView = true;
  table.columns = output.columns.map((column, i) => ({
    name: truncateIdentifier(names[i] ?? column.name),
    type: column.type,
    nullable: true,
    location: r.location,
  }));
  r.state(table).columnsKnown = output.complete;
}

function option(options: any[] | undefined, name: string): boolean {
  const element = (options ?? []).find((o: any) => o.DefElem?.defname === name)?.DefElem;
  if (!element) return false;
  const arg = element.arg;
  if (arg === undefined) return true;
  const text = String(stringOf(arg) ?? arg.Boolean?.boolval ?? arg.A_Const?.sval?.sval ?? arg.A_Const?.boolval?.boolval ?? arg.Integer?.ival ?? "").toLowerCase();
  return text === "true" || text === "on" || text === "1" || text === "yes";
}

/** Column references (outside subqueries) renamed through `map`; null when one maps to nothing. */
function mapColumnReferences(node: any, map: (column: string) => string | null): any | null {
  if (Array.isArray(node)) {
    const items = node.map((item) => mapColumnReferences(item, map));
    return items.some((item) => item === null) ? null : items;
  }
  if (!node || typeof node !== "object") return node;
  if (node.SubLink) return node;
  if (node.ColumnRef) {
    const names = stringList(node.ColumnRef.fields);
    if (names.length === 0) return node;
    const mapped = map(names[names.length - 1]);
    return mapped === null ? null : { ColumnRef: { ...node.ColumnRef, fields: [{ String: { sval: mapped } }] } };
  }
  const copy: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    const mapped = value && typeof value === "object" ? mapColumnReferences(value, map) : value;
    if (mapped === null) return null;
    copy[key] = mapped;
  }
  return copy;
}

function and(a: any | null, b: any | null): any | null {
  if (!a) return b;
  if (!b) return a;
  return { BoolExpr: { boolop: "AND_EXPR", args: [a, b] } };
}

/** CREATE [OR REPLACE] VIEW. */
export function createView(r: ReplayState, node: any, schemaOverride: string | null): void {
  const relation = node.view;
  if (!relation?.relname || relation.relpersistence === "t") return;
  const schema = relation.schemaname ?? schemaOverride ?? r.creationSchema();
  const name = truncateIdentifier(relation.relname);
  const key = tableKey(schema, name);
  const existing = r.views.get(key);
  // A name taken by another relation, or by a view without OR REPLACE: the server refuses.
  if (existing ? !node.replace : r.relationsOf(schema).has(name)) return;
  const select = node.query?.SelectStmt;
  if (!select) return;
  const aliases = stringList(node.aliases);
  const output: OutputColumn[] = selectOutput(r, select).columns;
  const view: View = {
    schema,
    name,
    columns: output.map((c, i) => ({ name: truncateIdentifier(aliases[i] ?? c.name), type: c.type, baseColumn: null })),
    base: null,
    securityInvoker: option(node.options, "security_invoker"),
    location: r.location,
  };
  const resolved = resolveBase(r, select);
  if ("reason" in resolved) {
    view.unresolved = resolved.reason;
  } else {
    view.base = resolved.base;
    view.columns = resolved.columns.map((c, i) => ({
      name: truncateIdentifier(aliases[i] ?? c.name),
      type: output[i]?.type ?? "unknown",
      baseColumn: c.baseColumn,
    }));
  }
  if (existing) {
    // OR REPLACE keeps the view (and its place); only its definition changes.
    Object.assign(existing, view);
    if (!view.unresolved) delete existing.unresolved;
    return;
  }
  r.views.set(key, view);
  r.addRelation(schema, name);
}

type Resolved =
  | { base: NonNullable<View["base"]>; columns: Array<{ name: string; baseColumn: string | null }> }
  | { reason: string };

/** The table a view's query reads, through another view if need be, with its columns and WHERE in that table's terms. */
function resolveBase(r: ReplayState, select: any): Resolved {
  const through = seeThrough(select);
  if (!through.ok) return { reason: through.reason };
  const table = r.resolve(through.relation);
  const inner = table ? undefined : r.resolveView(through.relation);
  const shown = through.relation.schemaname ? `${through.relation.schemaname}.${through.relation.relname}` : through.relation.relname;
  if (!table && !inner) return { reason: `it reads ${shown}, which the migrations do not create` };
  if (inner && !inner.base) return { reason: `it reads view ${shown}, which is not resolved (${inner.unresolved})` };
  // A column of the relation the view reads, as a column of the base table (null: computed).
  const toBase = (column: string): string | null => {
    if (table) return table.columns.some((c) => c.name === column) ? column : null;
    return inner!.columns.find((c) => c.name === column)?.baseColumn ?? null;
  };
  const relationColumns = table ? table.columns.map((c) => c.name) : inner!.columns.map((c) => c.name);
  const columns: Array<{ name: string; baseColumn: string | null }> = [];
  for (const target of through.targets) {
    if (target === "*") columns.push(...relationColumns.map((name) => ({ name, baseColumn: toBase(name) })));
    else columns.push({ name: target.name, baseColumn: target.baseColumn === null ? null : toBase(target.baseColumn) });
  }
  let whereAst: any = null;
  if (select.whereClause) {
    whereAst = mapColumnReferences(select.whereClause, toBase);
    if (whereAst === null) return { reason: "its WHERE uses a column the view computes" };
  }
  const baseTable = table ?? { schema: inner!.base!.schema, name: inner!.base!.table };
  whereAst = and(inner?.base?.whereAst ?? null, whereAst);
  return {
    base: { schema: baseTable.schema, table: baseTable.name, where: whereAst ? deparseNode(whereAst) : null, whereAst },
    columns,
  };
}

/** ALTER VIEW ... SET / RESET (security_invoker). */
export function alterView(r: ReplayState, node: any): void {
  const view = r.resolveView(node.relation);
  if (!view) return;
  for (const item of node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    const options: any[] = cmd?.def?.List?.items ?? [];
    if (!options.some((o) => o.DefElem?.defname === "security_invoker")) continue;
    if (cmd.subtype === "AT_SetRelOptions") view.securityInvoker = option(options, "security_invoker");
    else if (cmd.subtype === "AT_ResetRelOptions") view.securityInvoker = false;
  }
}

/** DROP VIEW. */
export function dropView(r: ReplayState, view: View): void {
  r.views.delete(tableKey(view.schema, view.name));
  r.removeRelation(view.schema, view.name);
}

/** ALTER VIEW ... RENAME TO / SET SCHEMA. */
export function moveView(r: ReplayState, view: View, schema: string, name: string): void {
  dropView(r, view);
  view.schema = schema;
  view.name = truncateIdentifier(name);
  r.views.set(tableKey(view.schema, view.name), view);
  r.addRelation(view.schema, view.name);
}

/** ALTER VIEW ... RENAME COLUMN. */
export function renameViewColumn(view: View, from: string, to: string): void {
  const column = view.columns.find((c) => c.name === from);
  if (column) column.name = truncateIdentifier(to);
}

function viewsOn(r: ReplayState, schema: string, table: string): View[] {
  return [...r.views.values()].filter((v) => v.base?.schema === schema && v.base.table === table);
}

/** The views on a table follow it to its new name or schema. */
export function retargetViews(r: ReplayState, oldSchema: string, oldName: string, newSchema: string, newName: string): void {
  for (const view of viewsOn(r, oldSchema, oldName)) view.base = { ...view.base!, schema: newSchema, table: newName };
}

/** A renamed column of a table keeps its place in the views on it. */
export function renameColumnInViews(r: ReplayState, table: Table, from: string, to: string): void {
  for (const view of viewsOn(r, table.schema, table.name)) {
    for (const column of view.columns) if (column.baseColumn === from) column.baseColumn = to;
    const base = view.base!;
    if (base.whereAst && referencedColumns(base.whereAst).has(from)) {
      base.whereAst = renameColumnReferences(base.whereAst, from, to);
      base.where = deparseNode(base.whereAst!);
    }
  }
}

/** The views on a dropped table go with it (DROP ... CASCADE; without it the server refuses the drop). */
export function dropViewsOn(r: ReplayState, table: Table): void {
  for (const view of viewsOn(r, table.schema, table.name)) dropView(r, view);
}
