// Indexes: CREATE INDEX, the indexes behind PRIMARY KEY / UNIQUE / EXCLUDE, their names
// (ChooseIndexName), their copies on partitions and LIKE tables, renames and drops.
import type { Index, IndexConstraintKind, IndexKey, Table } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { listItems, referencedColumns, stringList, stringOf } from "./ast.js";
import { chooseIndexColumnNames, chooseIndexName, figureIndexColumnName, truncateIdentifier, type IndexNameKind } from "./naming.js";
import { knownColumns, missingInIndexStmt, rejectionMessage } from "./replay-checks.js";
import { tableKey, type IndexSpec, type IndexState, type ReplayState } from "./replay-state.js";

function sortDirection(elem: any): { descending: boolean; nullsFirst: boolean } {
  const descending = elem.ordering === "SORTBY_DESC";
  const nulls = elem.nulls_ordering;
  const nullsFirst = nulls === "SORTBY_NULLS_FIRST" ? true : nulls === "SORTBY_NULLS_LAST" ? false : descending;
  return { descending, nullsFirst };
}

/** An IndexElem as an index key plus the column name the server would give it. */
export function keyFromElem(elem: any): { key: IndexKey; columnName: string } {
  const { descending, nullsFirst } = sortDirection(elem);
  const key: IndexKey = { descending, nullsFirst };
  const opclass = stringList(elem.opclass);
  if (opclass.length > 0) key.opclass = opclass.join(".");
  const collation = stringList(elem.collation);
  if (collation.length > 0) key.collation = collation.join(".");
  let expression = elem.expr;
  // "(column)" and "(column COLLATE x)" are plain column keys to the server.
  while (expression?.CollateClause) {
    if (!key.collation) key.collation = stringList(expression.CollateClause.collname).join(".");
    expression = expression.CollateClause.arg;
  }
  if (elem.name !== undefined) {
    key.column = elem.name;
    return { key, columnName: elem.indexcolname ?? elem.name };
  }
  const columnName = elem.indexcolname ?? figureIndexColumnName(elem.expr);
  const fields = expression?.ColumnRef?.fields;
  if (fields && fields.length === 1 && stringOf(fields[0]) !== undefined) {
    key.column = stringOf(fields[0]);
    return { key, columnName };
  }
  key.expression = deparseNode(expression);
  key.expressionAst = expression;
  return { key, columnName };
}

function keysEqual(a: IndexKey, b: IndexKey): boolean {
  return (
    a.column === b.column &&
    a.expression === b.expression &&
    a.opclass === b.opclass &&
    a.collation === b.collation &&
    a.descending === b.descending &&
    a.nullsFirst === b.nullsFirst
  );
}

/** Same definition: what PostgreSQL compares when it matches a partition's index to its parent's. */
export function sameIndexDefinition(a: Pick<Index, "keys" | "include" | "unique" | "method" | "where" | "nullsNotDistinct">, b: typeof a): boolean {
  return (
    a.keys.length === b.keys.length &&
    a.keys.every((key, i) => keysEqual(key, b.keys[i])) &&
    a.include.length === b.include.length &&
    a.include.every((c, i) => c === b.include[i]) &&
    a.unique === b.unique &&
    a.method === b.method &&
    a.where === b.where &&
    Boolean(a.nullsNotDistinct) === Boolean(b.nullsNotDistinct)
  );
}

export function indexColumnsUsed(index: Index): Set<string> {
  const used = new Set<string>();
  for (const key of index.keys) {
    if (key.column) used.add(key.column);
    if (key.expressionAst) referencedColumns(key.expressionAst, used);
  }
  for (const column of index.include) used.add(column);
  if (index.whereAst) referencedColumns(index.whereAst, used);
  return used;
}
export function specFromConstraint(r: ReplayState, constraint: any, keyColumns: string[]): IndexSpec {
  const kind: IndexConstraintKind =
    constraint.contype === "CONSTR_PRIMARY" ? "primary" : constraint.contype === "CONSTR_UNIQUE" ? "unique" : "exclusion";
  const include = stringList(constraint.including);
  let keys: IndexKey[];
  let columnNames: string[];
  if (kind === "exclusion") {
    const elems = (constraint.exclusions ?? []).map((pair: any) => listItems(pair)[0]?.IndexElem ?? {});
    const built = elems.map(keyFromElem);
    keys = built.map((b: { key: IndexKey }) => b.key);
    columnNames = built.map((b: { columnName: string }) => b.columnName);
  } else {
    keys = keyColumns.map((column) => ({ column, descending: false, nullsFirst: false }));
    columnNames = [...keyColumns];
  }
  return {
    name: constraint.conname ?? null,
    keys,
    include,
    columnNames: [...columnNames, ...include],
    unique: kind !== "exclusion",
    method: kind === "exclusion" ? (constraint.access_method ?? "btree") : "btree",
    whereAst: constraint.where_clause ?? null,
    constraint: kind,
    nullsNotDistinct: Boolean(constraint.nulls_not_distinct),
    deferrable: Boolean(constraint.deferrable),
    location: r.at(constraint.location),
  };
}

export function specFromIndexStmt(r: ReplayState, node: any): IndexSpec {
  const built = (node.indexParams ?? []).map((p: any) => keyFromElem(p.IndexElem ?? {}));
  const includeElems = (node.indexIncludingParams ?? []).map((p: any) => p.IndexElem ?? {});
  const include: string[] = includeElems.map((e: any) => e.name ?? figureIndexColumnName(e.expr));
  return {
    name: node.idxname ?? null,
    keys: built.map((b: { key: IndexKey }) => b.key),
    include,
    columnNames: [...built.map((b: { columnName: string }) => b.columnName), ...include],
    unique: Boolean(node.unique),
    method: node.accessMethod ?? "btree",
    whereAst: node.whereClause ?? null,
    constraint: null,
    nullsNotDistinct: Boolean(node.nulls_not_distinct),
    deferrable: false,
  };
}

/** Names, records and returns the index; `recurse` builds it on every partition too. */
export function buildIndex(r: ReplayState, table: Table, spec: IndexSpec, recurse: boolean, parent: Index | null = null): Index {
  const columnNames = chooseIndexColumnNames(spec.columnNames);
  const kind: IndexNameKind =
    spec.constraint === "primary"
      ? "primary"
      : spec.constraint === "exclusion"
        ? "exclusion"
        : spec.constraint === "unique"
          ? "unique-constraint"
          : "plain";
  const name = spec.name
    ? truncateIdentifier(spec.name)
    : chooseIndexName(
        table.name,
        columnNames,
        kind,
        r.relationTaken(table.schema),
        r.constraintTaken(table.schema),
      );
  const index: Index = {
    name,
    keys: spec.keys.map((k) => ({ ...k })),
    include: [...spec.include],
    unique: spec.unique,
    method: spec.method,
    where: spec.whereText !== undefined ? spec.whereText : spec.whereAst ? deparseNode(spec.whereAst) : null,
    whereAst: spec.whereAst,
    constraint: spec.constraint,
    location: spec.location ?? r.location,
  };
  if (spec.nullsNotDistinct) index.nullsNotDistinct = true;
  registerIndex(r, table, index, { columnNames, parent });
  if (spec.constraint === "primary") setPrimaryKey(r, table, index);
  if (recurse) for (const partition of r.partitionsOf(table)) attachOrCloneIndex(r, partition, index);
  return index;
}

export function registerIndex(r: ReplayState, table: Table, index: Index, state: IndexState): void {
  table.indexes.push(index);
  r.indexState.set(index, state);
  r.indexOwner.set(index, table);
  r.indexByName.set(tableKey(table.schema, index.name), index);
  r.addRelation(table.schema, index.name);
  if (index.constraint) r.addConstraintName(table.schema, index.name);
}

export function setPrimaryKey(r: ReplayState, table: Table, index: Index): void {
  const columns = index.keys.map((k) => k.column ?? k.expression ?? "");
  table.primaryKey = { name: index.name, columns };
  for (const columnName of columns) r.setNotNull(table, columnName, null, false);
}

/** A copy of `source` on `table`, named for `table` the way generateClonedIndexStmt + DefineIndex name it. */
export function cloneIndexInto(r: ReplayState, table: Table, source: Index, asPartitionOf = true): Index {
  const sourceState = r.indexState.get(source);
  const spec: IndexSpec = {
    name: null,
    keys: source.keys,
    include: source.include,
    columnNames: sourceState?.columnNames ?? [],
    unique: source.unique,
    method: source.method,
    whereAst: source.whereAst,
    whereText: source.where,
    constraint: source.constraint,
    nullsNotDistinct: Boolean(source.nullsNotDistinct),
    deferrable: false,
  };
  return buildIndex(r, table, spec, asPartitionOf, asPartitionOf ? source : null);
}

/** A partition gets the parent's index: an equivalent unattached one it has, or a new one. */
export function attachOrCloneIndex(r: ReplayState, partition: Table, parentIndex: Index): void {
  const match = partition.indexes.find(
    (candidate) =>
      !r.indexState.get(candidate)?.parent &&
      sameIndexDefinition(candidate, parentIndex) &&
      (parentIndex.constraint === null || candidate.constraint !== null),
  );
  if (match) {
    r.indexState.get(match)!.parent = parentIndex;
    for (const sub of r.partitionsOf(partition)) {
      if (!sub.indexes.some((i) => r.indexState.get(i)?.parent === match)) attachOrCloneIndex(r, sub, match);
    }
    return;
  }
  cloneIndexInto(r, partition, parentIndex, true);
}

/** ALTER INDEX parent ATTACH PARTITION child, as pg_dump writes partitioned indexes. */
export function alterIndex(r: ReplayState, node: any): void {
  const parent = r.resolveIndex(node.relation?.schemaname ?? null, node.relation?.relname ?? "");
  if (!parent) return;
  for (const item of node.cmds ?? []) {
    const cmd = item.AlterTableCmd;
    if (cmd?.subtype !== "AT_AttachPartition") continue;
    const name = cmd.def?.PartitionCmd?.name;
    const child = r.resolveIndex(name?.schemaname ?? null, name?.relname ?? "");
    const state = child ? r.indexState.get(child) : undefined;
    if (state) state.parent = parent;
  }
}

export function createIndex(r: ReplayState, node: any, schemaOverride: string | null): void {
  // Inside CREATE SCHEMA, unqualified names belong to that schema (the statement tree stays untouched).
  const relation = schemaOverride && node.relation && !node.relation.schemaname ? { ...node.relation, schemaname: schemaOverride } : node.relation;
  const table = r.resolve(relation);
  if (!table) return;
  if (node.idxname && r.relationsOf(table.schema).has(truncateIdentifier(node.idxname))) {
    // IF NOT EXISTS skips; without it the server would have failed, so there is nothing to replay.
    return;
  }
  const columns = knownColumns(r, table);
  const missing = columns ? missingInIndexStmt(columns, node) : null;
  if (missing) return r.reject(rejectionMessage("CREATE INDEX", missing));
  // ON ONLY leaves the partitions alone.
  const recurse = relation.inh === true;
  buildIndex(r, table, specFromIndexStmt(r, node), recurse);
}

export function removeIndex(r: ReplayState, index: Index): void {
  const table = r.indexOwner.get(index);
  if (!table) return;
  // Only a partitioned table's indexes have children on the partitions.
  if (table.partitionBy !== null) {
    for (const [child, state] of r.indexState) {
      if (state.parent === index) removeIndex(r, child);
    }
  }
  table.indexes = table.indexes.filter((i) => i !== index);
  r.indexState.delete(index);
  r.indexOwner.delete(index);
  r.indexByName.delete(tableKey(table.schema, index.name));
  r.removeRelation(table.schema, index.name);
  if (index.constraint) r.removeConstraintName(table.schema, index.name);
  if (index.constraint === "primary" && table.primaryKey?.name === index.name) table.primaryKey = null;
}

export function renameIndex(r: ReplayState, index: Index, newName: string): void {
  const table = r.indexOwner.get(index);
  if (!table) return;
  const name = truncateIdentifier(newName);
  r.indexByName.delete(tableKey(table.schema, index.name));
  r.removeRelation(table.schema, index.name);
  if (index.constraint) {
    r.removeConstraintName(table.schema, index.name);
    r.addConstraintName(table.schema, name);
  }
  if (table.primaryKey && index.constraint === "primary") table.primaryKey.name = name;
  index.name = name;
  r.indexByName.set(tableKey(table.schema, name), index);
  r.addRelation(table.schema, name);
}
