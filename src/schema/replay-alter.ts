// ALTER TABLE: columns added, dropped, retyped and renamed (with everything that names them),
// NOT NULL, constraints, and partitions attached or detached.
import type { Table } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { referencedColumns, renameColumnReferences } from "./ast.js";
import { truncateIdentifier } from "./naming.js";
import { addCheck, addConstraint, addForeignKey, cloneForeignKeyInto, dropConstraint, removeReferencingForeignKeys } from "./replay-constraints.js";
import { attachOrCloneIndex, buildIndex, indexColumnsUsed, removeIndex } from "./replay-indexes.js";
import { missingInAlterTable, rejectionMessage } from "./replay-checks.js";
import type { IndexSpec, ReplayState } from "./replay-state.js";
import { readColumnDef } from "./replay-tables.js";
import { renameColumnInViews } from "./replay-views.js";
import { formatTypeName } from "./type-name.js";

export function alterTable(r: ReplayState, node: any): void {
  const table = r.resolve(node.relation);
  if (!table) return;
  const missing = missingInAlterTable(r, table, node);
  if (missing) return r.reject(rejectionMessage("ALTER TABLE", missing));
  r.setAnchor(node.relation);
  const recurse = node.relation.inh === true;
  for (const item of node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (!cmd) continue;
    switch (cmd.subtype) {
      case "AT_AddColumn":
      case "AT_AddColumnToView":
        addColumn(r, table, cmd.def?.ColumnDef, recurse);
        break;
      case "AT_DropColumn":
        dropColumn(r, table, cmd.name);
        break;
      case "AT_AlterColumnType":
        alterColumnType(r, table, cmd.name, cmd.def?.ColumnDef?.typeName);
        break;
      case "AT_SetNotNull":
        r.setNotNull(table, cmd.name, null, recurse);
        break;
      case "AT_DropNotNull":
        r.dropNotNull(table, cmd.name);
        break;
      case "AT_AddConstraint":
        if (cmd.def?.Constraint) addConstraint(r, table, cmd.def.Constraint, recurse);
        break;
      case "AT_DropConstraint":
        dropConstraint(r, table, cmd.name, cmd.behavior === "DROP_CASCADE");
        break;
      case "AT_ValidateConstraint":
        for (const fk of table.foreignKeys) if (fk.name === cmd.name) fk.notValid = false;
        for (const partition of r.partitionsOf(table)) {
          for (const fk of partition.foreignKeys) if (fk.name === cmd.name) fk.notValid = false;
        }
        break;
      case "AT_AttachPartition":
        attachPartition(r, table, cmd.def?.PartitionCmd?.name);
        break;
      case "AT_DetachPartition":
      case "AT_DetachPartitionFinalize":
        detachPartition(r, table, cmd.def?.PartitionCmd?.name);
        break;
      default:
        break;
    }
  }
}

export function addColumn(r: ReplayState, table: Table, def: any, recurse: boolean): void {
  // An existing column means IF NOT EXISTS (or a failed statement): nothing changes either way.
  if (!def?.colname || r.column(table, def.colname)) return;
  const checks: Array<{ name: string | null; expr: any }> = [];
  const notNulls: Array<{ column: string; name: string | null }> = [];
  const indexSpecs: IndexSpec[] = [];
  const foreignKeys: Array<{ constraint: any; columns: string[] }> = [];
  readColumnDef(r, table, def, { checks, notNulls, indexSpecs, foreignKeys });
  if (recurse) {
    for (const partition of r.partitionsOf(table)) {
      if (!r.column(partition, def.colname)) {
        partition.columns.push({ ...r.column(table, def.colname)!, location: r.location });
      }
    }
  }
  for (const check of checks) addCheck(r, table, { conname: check.name, raw_expr: check.expr }, recurse);
  for (const notNull of notNulls) r.setNotNull(table, notNull.column, notNull.name, recurse);
  for (const spec of indexSpecs) buildIndex(r, table, spec, recurse);
  for (const { constraint, columns } of foreignKeys) addForeignKey(r, table, constraint, columns, true);
}

/** Indexes and constraints on the column go with it; so do foreign keys elsewhere that need it (CASCADE). */
export function dropColumn(r: ReplayState, table: Table, columnName: string): void {
  if (!r.column(table, columnName)) return;
  for (const partition of r.partitionsOf(table)) dropColumn(r, partition, columnName);
  for (const index of [...table.indexes]) {
    if (!table.indexes.includes(index)) continue;
    if (indexColumnsUsed(index).has(columnName)) {
      const columns = index.keys.map((k) => k.column ?? "");
      removeIndex(r, index);
      if (index.constraint) removeReferencingForeignKeys(r, table, columns);
    }
  }
  table.foreignKeys = table.foreignKeys.filter((fk) => {
    if (!fk.columns.includes(columnName)) return true;
    r.removeConstraintName(table.schema, fk.name);
    return false;
  });
  for (const other of r.tables.values()) {
    other.foreignKeys = other.foreignKeys.filter((fk) => {
      const pointsHere =
        fk.references.schema === table.schema &&
        fk.references.table === table.name &&
        fk.references.columns.includes(columnName);
      if (!pointsHere) return true;
      r.removeConstraintName(other.schema, fk.name);
      return false;
    });
  }
  const state = r.state(table);
  for (const [checkName, columns] of [...state.checks]) {
    if (columns.includes(columnName)) {
      state.checks.delete(checkName);
      r.removeConstraintName(table.schema, checkName);
    }
  }
  const notNullName = state.notNull.get(columnName);
  if (notNullName) {
    state.notNull.delete(columnName);
    r.removeConstraintName(table.schema, notNullName);
  }
  table.columns = table.columns.filter((c) => c.name !== columnName);
}

export function alterColumnType(r: ReplayState, table: Table, columnName: string, typeName: any): void {
  const column = r.column(table, columnName);
  if (!column || !typeName) return;
  column.type = formatTypeName(typeName);
  for (const partition of r.partitionsOf(table)) alterColumnType(r, partition, columnName, typeName);
}

export function renameColumn(r: ReplayState, table: Table, from: string, to: string): void {
  const column = r.column(table, from);
  if (!column) return;
  renameColumnInViews(r, table, from, truncateIdentifier(to));
  const name = truncateIdentifier(to);
  column.name = name;
  for (const index of table.indexes) {
    for (const key of index.keys) {
      if (key.column === from) key.column = name;
      if (key.expressionAst && referencedColumns(key.expressionAst).has(from)) {
        key.expressionAst = renameColumnReferences(key.expressionAst, from, name);
        key.expression = deparseNode(key.expressionAst!);
      }
    }
    index.include = index.include.map((c) => (c === from ? name : c));
    if (index.whereAst && referencedColumns(index.whereAst).has(from)) {
      index.whereAst = renameColumnReferences(index.whereAst, from, name);
      index.where = deparseNode(index.whereAst!);
    }
  }
  if (table.primaryKey) table.primaryKey.columns = table.primaryKey.columns.map((c) => (c === from ? name : c));
  for (const fk of table.foreignKeys) fk.columns = fk.columns.map((c) => (c === from ? name : c));
  for (const other of r.tables.values()) {
    for (const fk of other.foreignKeys) {
      if (fk.references.schema === table.schema && fk.references.table === table.name) {
        fk.references.columns = fk.references.columns.map((c) => (c === from ? name : c));
      }
    }
  }
  const state = r.state(table);
  for (const [checkName, columns] of state.checks) state.checks.set(checkName, columns.map((c) => (c === from ? name : c)));
  const notNullName = state.notNull.get(from);
  if (notNullName) {
    state.notNull.delete(from);
    state.notNull.set(name, notNullName);
  }
  for (const partition of r.partitionsOf(table)) renameColumn(r, partition, from, to);
}

export function attachPartition(r: ReplayState, parent: Table, relation: any): void {
  const partition = r.resolve(relation);
  if (!partition || partition === parent) return;
  partition.partitionOf = { schema: parent.schema, table: parent.name };
  for (const parentIndex of parent.indexes) attachOrCloneIndex(r, partition, parentIndex);
  for (const fk of parent.foreignKeys) {
    const existing = partition.foreignKeys.find(
      (f) =>
        f.columns.join(",") === fk.columns.join(",") &&
        f.references.schema === fk.references.schema &&
        f.references.table === fk.references.table &&
        f.references.columns.join(",") === fk.references.columns.join(","),
    );
    if (!existing) cloneForeignKeyInto(r, partition, fk);
  }
}

export function detachPartition(r: ReplayState, parent: Table, relation: any): void {
  const partition = r.resolve(relation);
  if (!partition || partition.partitionOf?.table !== parent.name || partition.partitionOf.schema !== parent.schema) return;
  partition.partitionOf = null;
  for (const index of partition.indexes) {
    const state = r.indexState.get(index);
    if (state) state.parent = null;
  }
}
