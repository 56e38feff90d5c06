// Tables: CREATE TABLE with its columns, inline and table constraints, LIKE, INHERITS and
// PARTITION OF, in the order DefineRelation applies them; and DROP TABLE.
import type { Table } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { nodeKind, referencedColumns, stringList } from "./ast.js";
import { chooseName, truncateIdentifier } from "./naming.js";
import { addForeignKey, cloneForeignKeyInto, removeReferencingForeignKeys } from "./replay-constraints.js";
import { buildIndex, cloneIndexInto, removeIndex, sameIndexDefinition, specFromConstraint } from "./replay-indexes.js";
import { missingInCreateTable, rejectionMessage } from "./replay-checks.js";
import { tableKey, type ConstraintsOfTable, type IndexSpec, type ReplayState } from "./replay-state.js";
import { formatTypeName, isSerialType } from "./type-name.js";
import { dropViewsOn } from "./replay-views.js";

// TableLikeOption bits (nodes/parsenodes.h).
const LIKE_CONSTRAINTS = 1 << 2;
const LIKE_INDEXES = 1 << 6;

function partitionKeyText(partspec: any): string {
  const strategy = String(partspec.strategy ?? "").replace("PARTITION_STRATEGY_", "");
  const parts = (partspec.partParams ?? []).map((p: any) => {
    const elem = p.PartitionElem ?? {};
    return elem.name ?? `(${deparseNode(elem.expr)})`;
  });
  return `${strategy} (${parts.join(", ")})`;
}

export function createTable(r: ReplayState, node: any, schemaOverride: string | null): void {
  const relation = node.relation;
  if (!relation?.relname || relation.relpersistence === "t") return;
  r.setAnchor(relation);
  const schema = relation.schemaname ?? schemaOverride ?? r.creationSchema();
  const name: string = relation.relname;
  if (r.relationsOf(schema).has(name) && node.if_not_exists) return;
  const missing = missingInCreateTable(r, node, { schema, name });
  if (missing) return r.reject(rejectionMessage("CREATE TABLE", missing));
  if (r.relationsOf(schema).has(name)) {
    const existing = r.tables.get(tableKey(schema, name));
    if (existing) dropTable(r, existing);
  }
  const table = r.newTable(schema, name);
  if (node.partspec) table.partitionBy = partitionKeyText(node.partspec);

  const parents = (node.inhRelations ?? [])
    .map((inherited: any) => r.resolve(inherited.RangeVar ?? inherited))
    .filter((t: Table | undefined): t is Table => t !== undefined);
  const parent: Table | undefined = node.partbound ? parents[0] : undefined;
  if (parent) table.partitionOf = { schema: parent.schema, table: parent.name };
  else if (parents.length > 0) table.inherits = parents.map((p: Table) => ({ schema: p.schema, table: p.name }));

  const state = r.state(table);
  // Columns a parent gains later reach INHERITS children too, which the model does not follow; a
  // parent outside the model, a LIKE source outside it and a composite type (OF type) bring columns it cannot see.
  const inherits = node.inhRelations ?? [];
  const likesOutside = (node.tableElts ?? []).some((e: any) => e.TableLikeClause && !r.resolve(e.TableLikeClause.relation));
  if ((!parent && inherits.length > 0) || parents.length < inherits.length || likesOutside || node.ofTypename) state.columnsKnown = false;
  const checks: Array<{ name: string | null; expr: any }> = [];
  const notNulls: Array<{ column: string; name: string | null }> = [];
  const indexSpecs: IndexSpec[] = [];
  const foreignKeys: Array<{ constraint: any; columns: string[] }> = [];
  const likes: Array<{ source: Table; options: number }> = [];
  const inheritedNotNull = new Map<string, string>();

  // Columns of parents come first (INHERITS and PARTITION OF), in parent order.
  for (const parentTable of parents) {
    for (const column of parentTable.columns) {
      if (r.column(table, column.name)) continue;
      table.columns.push({ ...column, location: r.location });
      const inherited = r.state(parentTable).notNull.get(column.name);
      if (inherited) inheritedNotNull.set(column.name, inherited);
    }
    // CHECK constraints are inherited under their own names, by partitions and INHERITS children alike.
    for (const [checkName, columns] of r.state(parentTable).checks) state.checks.set(checkName, [...columns]);
  }

  for (const element of node.tableElts ?? []) {
    const [kind, body] = nodeKind(element);
    if (kind === "ColumnDef") {
      readColumnDef(r, table, body, { checks, notNulls, indexSpecs, foreignKeys });
    } else if (kind === "Constraint") {
      readTableConstraint(r, body, { checks, notNulls, indexSpecs, foreignKeys });
    } else if (kind === "TableLikeClause") {
      const source = r.resolve(body.relation);
      if (!source) continue;
      for (const column of source.columns) {
        if (r.column(table, column.name)) continue;
        table.columns.push({ ...column, location: r.location });
        const notNullName = r.state(source).notNull.get(column.name);
        if (notNullName) inheritedNotNull.set(column.name, notNullName);
      }
      likes.push({ source, options: Number(body.options ?? 0) });
    }
  }

  // CHECK constraints are named first, then NOT NULL constraints (DefineRelation's order).
  const checkNames: string[] = [];
  for (const check of checks) {
    const columns = [...referencedColumns(check.expr)];
    const checkName = check.name
      ? truncateIdentifier(check.name)
      : r.chooseConstraintName(table, columns.length === 1 ? columns[0] : null, "check", checkNames);
    checkNames.push(checkName);
    state.checks.set(checkName, columns);
  }
  for (const checkName of state.checks.keys()) r.addConstraintName(schema, checkName);

  // Serial and identity columns, and primary key columns, are NOT NULL too.
  const primary = indexSpecs.find((s) => s.constraint === "primary");
  for (const key of primary?.keys ?? []) if (key.column) notNulls.push({ column: key.column, name: null });
  for (const [column, inherited] of inheritedNotNull) notNulls.unshift({ column, name: inherited });
  const givenNames = notNulls.filter((n) => n.name !== null).map((n) => n.name as string);
  for (const notNull of notNulls) {
    const column = r.column(table, notNull.column);
    if (!column || state.notNull.has(column.name)) continue;
    column.nullable = false;
    const constraintName = notNull.name
      ? truncateIdentifier(notNull.name)
      : r.chooseConstraintName(table, column.name, "not_null", givenNames);
    state.notNull.set(column.name, constraintName);
    r.addConstraintName(schema, constraintName);
  }

  // Partitions get their parent's indexes and foreign keys before their own.
  if (parent) {
    for (const parentIndex of parent.indexes) cloneIndexInto(r, table, parentIndex);
    for (const fk of parent.foreignKeys) cloneForeignKeyInto(r, table, fk);
  }

  // The primary key first, then the other index-backed constraints, duplicates merged.
  const finalSpecs: IndexSpec[] = primary ? [primary] : [];
  for (const spec of indexSpecs) {
    if (spec === primary) continue;
    const prior = finalSpecs.find(
      (p) =>
        p.method === spec.method &&
        p.nullsNotDistinct === spec.nullsNotDistinct &&
        p.deferrable === spec.deferrable &&
        (p.constraint === "exclusion") === (spec.constraint === "exclusion") &&
        sameIndexDefinition({ ...p, unique: true, where: null }, { ...spec, unique: true, where: null }) &&
        JSON.stringify(p.whereAst ?? null) === JSON.stringify(spec.whereAst ?? null),
    );
    if (prior) {
      prior.name ??= spec.name;
      continue;
    }
    finalSpecs.push(spec);
  }
  for (const spec of finalSpecs) buildIndex(r, table, spec, true);

  for (const like of likes) {
    if (like.options & LIKE_INDEXES) {
      for (const sourceIndex of like.source.indexes) cloneIndexInto(r, table, sourceIndex, false);
    }
    if (like.options & LIKE_CONSTRAINTS) {
      for (const [checkName, columns] of r.state(like.source).checks) {
        if (state.checks.has(checkName)) continue;
        state.checks.set(checkName, [...columns]);
        r.addConstraintName(schema, checkName);
      }
    }
  }

  for (const { constraint, columns } of foreignKeys) addForeignKey(r, table, constraint, columns, false);
}

export function readColumnDef(
  r: ReplayState,
  table: Table,
  def: any,
  into: ConstraintsOfTable,
): void {
  const name: string = def.colname;
  if (!name) return;
  let column = r.column(table, name);
  if (!column) {
    column = { name, type: formatTypeName(def.typeName), nullable: true, location: r.at(def.location) };
    table.columns.push(column);
  } else if (def.typeName) {
    column.type = formatTypeName(def.typeName);
  }
  if (def.typeName && isSerialType(def.typeName)) {
    into.notNulls.push({ column: name, name: null });
    addOwnedSequence(r, table, name);
  }
  for (const item of def.constraints ?? []) {
    const constraint = item.Constraint;
    if (!constraint) continue;
    switch (constraint.contype) {
      case "CONSTR_NOTNULL":
        into.notNulls.push({ column: name, name: constraint.conname ?? null });
        break;
      case "CONSTR_IDENTITY":
        into.notNulls.push({ column: name, name: null });
        addOwnedSequence(r, table, name);
        break;
      case "CONSTR_PRIMARY":
      case "CONSTR_UNIQUE":
        into.indexSpecs.push(specFromConstraint(r, constraint, [name]));
        break;
      case "CONSTR_CHECK":
        into.checks.push({ name: constraint.conname ?? null, expr: constraint.raw_expr });
        break;
      case "CONSTR_FOREIGN":
        into.foreignKeys.push({ constraint, columns: [name] });
        break;
      case "CONSTR_ATTR_NOT_ENFORCED": {
        // A column's `REFERENCES ... NOT ENFORCED` arrives as an attribute after the constraint it modifies.
        const last = into.foreignKeys[into.foreignKeys.length - 1];
        if (last?.columns[0] === name) last.constraint = { ...last.constraint, is_enforced: false };
        break;
      }
      default:
        break;
    }
  }
}

export function readTableConstraint(
  r: ReplayState,
  constraint: any,
  into: ConstraintsOfTable,
): void {
  switch (constraint.contype) {
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE":
    case "CONSTR_EXCLUSION":
      into.indexSpecs.push(specFromConstraint(r, constraint, stringList(constraint.keys)));
      break;
    case "CONSTR_CHECK":
      into.checks.push({ name: constraint.conname ?? null, expr: constraint.raw_expr });
      break;
    case "CONSTR_FOREIGN":
      into.foreignKeys.push({ constraint, columns: stringList(constraint.fk_attrs) });
      break;
    case "CONSTR_NOTNULL":
      for (const column of stringList(constraint.keys)) into.notNulls.push({ column, name: constraint.conname ?? null });
      break;
    default:
      break;
  }
}

export function addOwnedSequence(r: ReplayState, table: Table, column: string): void {
  const name = chooseName(table.name, column, "seq", r.relationTaken(table.schema));
  r.addRelation(table.schema, name);
  r.state(table).sequences.push(name);
}

export function dropTable(r: ReplayState, table: Table): void {
  if (!r.tables.has(tableKey(table.schema, table.name))) return;
  dropViewsOn(r, table);
  for (const partition of r.partitionsOf(table)) dropTable(r, partition);
  for (const index of [...table.indexes]) removeIndex(r, index);
  for (const fk of table.foreignKeys) r.removeConstraintName(table.schema, fk.name);
  const state = r.state(table);
  for (const checkName of state.checks.keys()) r.removeConstraintName(table.schema, checkName);
  for (const notNullName of state.notNull.values()) r.removeConstraintName(table.schema, notNullName);
  for (const sequence of state.sequences) r.removeRelation(table.schema, sequence);
  r.tables.delete(tableKey(table.schema, table.name));
  r.tableState.delete(table);
  r.removeRelation(table.schema, table.name);
  removeReferencingForeignKeys(r, table, null);
}
