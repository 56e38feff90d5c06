// DROP, RENAME and SET SCHEMA of tables, indexes, columns, constraints, other relations and schemas.
import type { Table } from "../core/types.js";
import { listItems, stringOf } from "./ast.js";
import { truncateIdentifier } from "./naming.js";
import { renameColumn } from "./replay-alter.js";
import { renameConstraint } from "./replay-constraints.js";
import { removeIndex, renameIndex } from "./replay-indexes.js";
import { tableKey, type ReplayState } from "./replay-state.js";
import { dropTable } from "./replay-tables.js";
import { dropView, moveView, renameViewColumn, retargetViews } from "./replay-views.js";

export function drop(r: ReplayState, node: any): void {
  const cascade = node.behavior === "DROP_CASCADE";
  for (const object of node.objects ?? []) {
    const parts = listItems(object).map(stringOf).filter((s): s is string => s !== undefined);
    const single = stringOf(object);
    const names = parts.length > 0 ? parts : single !== undefined ? [single] : [];
    if (names.length === 0) continue;
    const name = names[names.length - 1];
    const schema = names.length > 1 ? names[names.length - 2] : null;
    switch (node.removeType) {
      case "OBJECT_TABLE": {
        const table = r.resolve({ relname: name, schemaname: schema ?? undefined });
        if (table) dropTable(r, table);
        break;
      }
      case "OBJECT_INDEX": {
        const index = r.resolveIndex(schema, name);
        if (index) removeIndex(r, index);
        break;
      }
      case "OBJECT_VIEW": {
        const view = r.resolveView({ relname: name, schemaname: schema ?? undefined });
        if (view) dropView(r, view);
        break;
      }
      case "OBJECT_MATVIEW": {
        const table = r.resolve({ relname: name, schemaname: schema ?? undefined });
        if (table) dropTable(r, table);
        break;
      }
      case "OBJECT_SEQUENCE":
      case "OBJECT_FOREIGN_TABLE":
        r.removeRelation(schema ?? r.creationSchema(), name);
        break;
      case "OBJECT_SCHEMA":
        if (cascade) {
          for (const view of [...r.views.values()]) if (view.schema === name) dropView(r, view);
          for (const table of [...r.tables.values()]) if (table.schema === name && r.tables.has(tableKey(table.schema, table.name))) dropTable(r, table);
          r.relations.delete(name);
          r.constraintNames.delete(name);
        }
        break;
      default:
        break;
    }
  }
}

export function rename(r: ReplayState, node: any): void {
  switch (node.renameType) {
    case "OBJECT_TABLE":
    case "OBJECT_MATVIEW":
    case "OBJECT_VIEW":
    case "OBJECT_INDEX": {
      if (!node.newname) return;
      const table = node.renameType !== "OBJECT_INDEX" ? r.resolve(node.relation) : undefined;
      if (table) return renameTable(r, table, node.newname);
      // ALTER VIEW ... RENAME, or ALTER TABLE on a view's name.
      const view = node.renameType !== "OBJECT_INDEX" ? r.resolveView(node.relation) : undefined;
      if (view) return moveView(r, view, view.schema, node.newname);
      // ALTER INDEX ... RENAME, or ALTER TABLE on an index name (the server allows both).
      const index = r.resolveIndex(node.relation?.schemaname ?? null, node.relation?.relname ?? "");
      if (index) renameIndex(r, index, node.newname);
      return;
    }
    case "OBJECT_COLUMN": {
      if (!node.subname || !node.newname) return;
      const table = node.relationType === "OBJECT_VIEW" ? undefined : r.resolve(node.relation);
      if (table) return renameColumn(r, table, node.subname, node.newname);
      const view = r.resolveView(node.relation);
      if (view) renameViewColumn(view, node.subname, node.newname);
      return;
    }
    case "OBJECT_TABCONSTRAINT": {
      const table = r.resolve(node.relation);
      if (table && node.subname && node.newname) renameConstraint(r, table, node.subname, node.newname);
      return;
    }
    case "OBJECT_SEQUENCE": {
      const schema = node.relation?.schemaname ?? r.creationSchema();
      if (node.relation?.relname && node.newname) {
        r.removeRelation(schema, node.relation.relname);
        r.addRelation(schema, node.newname);
      }
      return;
    }
    case "OBJECT_SCHEMA": {
      if (!node.subname || !node.newname) return;
      for (const table of [...r.tables.values()]) if (table.schema === node.subname) setSchema(r, table, node.newname);
      for (const view of [...r.views.values()]) if (view.schema === node.subname) moveView(r, view, node.newname, view.name);
      return;
    }
    default:
      return;
  }
}

export function renameTable(r: ReplayState, table: Table, newName: string): void {
  const name = truncateIdentifier(newName);
  const oldName = table.name;
  r.tables.delete(tableKey(table.schema, oldName));
  r.removeRelation(table.schema, oldName);
  table.name = name;
  r.tables.set(tableKey(table.schema, name), table);
  r.addRelation(table.schema, name);
  retargetReferences(r, table.schema, oldName, table.schema, name);
}

export function setSchema(r: ReplayState, table: Table, newSchema: string): void {
  const oldSchema = table.schema;
  if (oldSchema === newSchema) return;
  r.tables.delete(tableKey(oldSchema, table.name));
  r.removeRelation(oldSchema, table.name);
  table.schema = newSchema;
  r.tables.set(tableKey(newSchema, table.name), table);
  r.addRelation(newSchema, table.name);
  for (const index of table.indexes) {
    r.indexByName.delete(tableKey(oldSchema, index.name));
    r.indexByName.set(tableKey(newSchema, index.name), index);
    r.removeRelation(oldSchema, index.name);
    r.addRelation(newSchema, index.name);
    if (index.constraint) {
      r.removeConstraintName(oldSchema, index.name);
      r.addConstraintName(newSchema, index.name);
    }
  }
  const state = r.state(table);
  for (const sequence of state.sequences) {
    r.removeRelation(oldSchema, sequence);
    r.addRelation(newSchema, sequence);
  }
  const otherConstraints = [...table.foreignKeys.map((f) => f.name), ...state.checks.keys(), ...state.notNull.values()];
  for (const name of otherConstraints) {
    r.removeConstraintName(oldSchema, name);
    r.addConstraintName(newSchema, name);
  }
  retargetReferences(r, oldSchema, table.name, newSchema, table.name);
}

/** Foreign keys and partitions that named the table by its old name follow it. */
export function retargetReferences(r: ReplayState, oldSchema: string, oldName: string, newSchema: string, newName: string): void {
  retargetViews(r, oldSchema, oldName, newSchema, newName);
  for (const other of r.tables.values()) {
    for (const fk of other.foreignKeys) {
      if (fk.references.schema === oldSchema && fk.references.table === oldName) {
        fk.references.schema = newSchema;
        fk.references.table = newName;
      }
    }
    if (other.partitionOf?.schema === oldSchema && other.partitionOf.table === oldName) {
      other.partitionOf = { schema: newSchema, table: newName };
    }
  }
}
