// Constraints: CHECK, NOT NULL, FOREIGN KEY, and the index-backed ones added or dropped by
// ALTER TABLE; their names (ChooseConstraintName) and their copies on partitions.
import type { FkAction, ForeignKey, IndexConstraintKind, Table } from "../core/types.js";
import { referencedColumns, stringList } from "./ast.js";
import { nameAddition, truncateIdentifier } from "./naming.js";
import { buildIndex, removeIndex, renameIndex, setPrimaryKey, specFromConstraint } from "./replay-indexes.js";
import type { ReplayState } from "./replay-state.js";

const FK_ACTIONS: Record<string, FkAction> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

export function addCheck(r: ReplayState, table: Table, constraint: any, recurse: boolean, name?: string): void {
  const columns = [...referencedColumns(constraint.raw_expr)];
  const checkName =
    name ??
    (constraint.conname
      ? truncateIdentifier(constraint.conname)
      : r.chooseConstraintName(table, columns.length === 1 ? columns[0] : null, "check"));
  const state = r.state(table);
  if (!state.checks.has(checkName)) {
    state.checks.set(checkName, columns);
    r.addConstraintName(table.schema, checkName);
  }
  if (recurse) for (const partition of r.partitionsOf(table)) addCheck(r, partition, constraint, true, checkName);
}

export function addForeignKey(r: ReplayState, table: Table, constraint: any, columns: string[], honourNotValid: boolean): void {
  const referenced = r.resolve(constraint.pktable);
  let referencedColumns = stringList(constraint.pk_attrs);
  // No column list: the referenced table's primary key.
  if (referencedColumns.length === 0 && referenced?.primaryKey) referencedColumns = [...referenced.primaryKey.columns];
  const name = constraint.conname
    ? truncateIdentifier(constraint.conname)
    : r.chooseConstraintName(table, nameAddition(columns), "fkey");
  const fk: ForeignKey = {
    name,
    columns,
    references: {
      schema: referenced?.schema ?? constraint.pktable?.schemaname ?? r.creationSchema(),
      table: referenced?.name ?? constraint.pktable?.relname ?? "",
      columns: referencedColumns,
    },
    onDelete: FK_ACTIONS[constraint.fk_del_action as string] ?? "no action",
    onUpdate: FK_ACTIONS[constraint.fk_upd_action as string] ?? "no action",
    notValid: honourNotValid && (constraint.skip_validation === true || constraint.initially_valid === false),
    // PostgreSQL 18: the parser sets is_enforced for an enforced key; a table constraint's NOT ENFORCED omits it.
    enforced: constraint.is_enforced === true || (constraint.is_enforced === undefined && constraint.skip_validation !== true),
    location: r.at(constraint.location),
  };
  table.foreignKeys.push(fk);
  r.addConstraintName(table.schema, name);
  for (const partition of r.partitionsOf(table)) cloneForeignKeyInto(r, partition, fk);
}

/** Partitions carry their parent's foreign keys under the same name (a new one only on a clash). */
export function cloneForeignKeyInto(r: ReplayState, table: Table, fk: ForeignKey): void {
  const usedHere = (name: string) =>
    table.foreignKeys.some((f) => f.name === name) ||
    r.state(table).checks.has(name) ||
    table.indexes.some((i) => i.constraint !== null && i.name === name);
  const name = usedHere(fk.name) ? r.chooseConstraintName(table, nameAddition(fk.columns), "fkey") : fk.name;
  const clone: ForeignKey = { ...fk, name, columns: [...fk.columns], references: { ...fk.references, columns: [...fk.references.columns] }, location: r.location };
  table.foreignKeys.push(clone);
  r.addConstraintName(table.schema, name);
  for (const partition of r.partitionsOf(table)) cloneForeignKeyInto(r, partition, clone);
}

export function addConstraint(r: ReplayState, table: Table, constraint: any, recurse: boolean): void {
  switch (constraint.contype) {
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE":
    case "CONSTR_EXCLUSION":
      if (constraint.indexname) return constraintUsingIndex(r, table, constraint);
      buildIndex(r, table, specFromConstraint(r, constraint, stringList(constraint.keys)), recurse);
      return;
    case "CONSTR_CHECK":
      return addCheck(r, table, constraint, recurse);
    case "CONSTR_FOREIGN":
      return addForeignKey(r, table, constraint, stringList(constraint.fk_attrs), true);
    case "CONSTR_NOTNULL":
      for (const column of stringList(constraint.keys)) r.setNotNull(table, column, constraint.conname ?? null, recurse);
      return;
    default:
      return;
  }
}

/** ADD CONSTRAINT ... USING INDEX: the index now backs the constraint and takes its name. */
export function constraintUsingIndex(r: ReplayState, table: Table, constraint: any): void {
  const index = r.resolveIndex(table.schema, constraint.indexname);
  if (!index || r.indexOwner.get(index) !== table) return;
  const kind: IndexConstraintKind = constraint.contype === "CONSTR_PRIMARY" ? "primary" : "unique";
  const name = constraint.conname ? truncateIdentifier(constraint.conname) : index.name;
  if (name !== index.name) renameIndex(r, index, name);
  index.constraint = kind;
  index.location = r.location;
  r.addConstraintName(table.schema, index.name);
  if (kind === "primary") setPrimaryKey(r, table, index);
}

/** Foreign keys elsewhere that point at these columns of `table` (they go when the key they use goes). */
export function removeReferencingForeignKeys(r: ReplayState, table: Table, columns: string[] | null): void {
  for (const other of r.tables.values()) {
    const keep = other.foreignKeys.filter((fk) => {
      const pointsHere = fk.references.schema === table.schema && fk.references.table === table.name;
      if (!pointsHere) return true;
      if (columns !== null) {
        const sameKey =
          fk.references.columns.length === columns.length && fk.references.columns.every((c) => columns.includes(c));
        if (!sameKey) return true;
      }
      r.removeConstraintName(other.schema, fk.name);
      return false;
    });
    other.foreignKeys = keep;
  }
}

export function dropConstraint(r: ReplayState, table: Table, name: string, cascade: boolean): void {
  const index = table.indexes.find((i) => i.constraint !== null && i.name === name);
  if (index) {
    const columns = index.keys.map((k) => k.column ?? "");
    removeIndex(r, index);
    if (cascade) removeReferencingForeignKeys(r, table, columns);
    return;
  }
  const fk = table.foreignKeys.find((f) => f.name === name);
  if (fk) {
    table.foreignKeys = table.foreignKeys.filter((f) => f !== fk);
    r.removeConstraintName(table.schema, name);
    for (const partition of r.partitionsOf(table)) dropConstraint(r, partition, name, cascade);
    return;
  }
  const state = r.state(table);
  if (state.checks.delete(name)) {
    r.removeConstraintName(table.schema, name);
    for (const partition of r.partitionsOf(table)) dropConstraint(r, partition, name, cascade);
    return;
  }
  for (const [column, notNullName] of state.notNull) {
    if (notNullName === name) return r.dropNotNull(table, column);
  }
}

export function renameConstraint(r: ReplayState, table: Table, oldName: string, newName: string): void {
  const name = truncateIdentifier(newName);
  const index = table.indexes.find((i) => i.constraint !== null && i.name === oldName);
  if (index) return renameIndex(r, index, name);
  const fk = table.foreignKeys.find((f) => f.name === oldName);
  const state = r.state(table);
  if (fk) {
    fk.name = name;
  } else if (state.checks.has(oldName)) {
    const columns = state.checks.get(oldName)!;
    state.checks.delete(oldName);
    state.checks.set(name, columns);
  } else {
    const column = [...state.notNull].find(([, n]) => n === oldName)?.[0];
    if (column === undefined) return;
    state.notNull.set(column, name);
  }
  r.removeConstraintName(table.schema, oldName);
  r.addConstraintName(table.schema, name);
}
