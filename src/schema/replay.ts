// Replays migration statements, in apply order, into the schema they build: tables, columns,
// constraints and indexes, under the names PostgreSQL gives them. Pure and single-pass; statements
// outside the model are skipped, and statements about tables the migrations never created are ignored.
import type {
  Column,
  FkAction,
  ForeignKey,
  Index,
  IndexConstraintKind,
  IndexKey,
  Location,
  Schema,
  Statement,
  Table,
} from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { listItems, nodeKind, referencedColumns, renameColumnReferences, stringList, stringOf } from "./ast.js";
import {
  chooseIndexColumnNames,
  chooseIndexName,
  chooseName,
  figureIndexColumnName,
  nameAddition,
  truncateIdentifier,
  type IndexNameKind,
} from "./naming.js";
import { formatTypeName, isSerialType } from "./type-name.js";

export const DEFAULT_SCHEMA = "public";

const FK_ACTIONS: Record<string, FkAction> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

// TableLikeOption bits (nodes/parsenodes.h).
const LIKE_CONSTRAINTS = 1 << 2;
const LIKE_INDEXES = 1 << 6;

/** Bookkeeping the public model does not carry but replay needs. */
interface TableState {
  order: number;
  /** CHECK constraint name -> columns it refers to (dropped with any of them). */
  checks: Map<string, string[]>;
  /** Column -> name of its NOT NULL constraint (PostgreSQL 18 names them). */
  notNull: Map<string, string>;
  /** Sequences owned by serial and identity columns. */
  sequences: string[];
}

interface IndexState {
  /** The index's own column names (pg_attribute of the index), which clones are named from. */
  columnNames: string[];
  /** The partitioned table's index this partition index is attached to. */
  parent: Index | null;
}

/** An index to build, before it has a name. */
interface IndexSpec {
  name: string | null;
  keys: IndexKey[];
  include: string[];
  /** Preliminary column names (keys then INCLUDE) used to name the index. */
  columnNames: string[];
  unique: boolean;
  method: string;
  whereAst: Record<string, any> | null;
  constraint: IndexConstraintKind | null;
  nullsNotDistinct: boolean;
  deferrable: boolean;
  /** Where the constraint that makes it is written, when not the statement itself. */
  location?: Location;
  /** The predicate's text when already known (a clone of an existing index). */
  whereText?: string | null;
}

const tableKey = (schema: string, name: string): string => `${schema}\u0000${name}`;

const IDENTIFIER_CHAR = /[\w$"]/;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

interface StatementText {
  /** Offsets of every `\n`, ascending. */
  newlines: number[];
  /** Offset of the first character outside ASCII, or -1. */
  firstNonAscii: number;
}

function scanStatementText(sql: string): StatementText {
  const newlines: number[] = [];
  for (let i = sql.indexOf("\n"); i !== -1; i = sql.indexOf("\n", i + 1)) newlines.push(i);
  return { newlines, firstNonAscii: sql.search(NON_ASCII) };
}

/** Index of the first character after leading whitespace and comments. */
function skipLeadingComments(sql: string): number {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i])) i++;
    if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else {
      return i;
    }
  }
}

function sortDirection(elem: any): { descending: boolean; nullsFirst: boolean } {
  const descending = elem.ordering === "SORTBY_DESC";
  const nulls = elem.nulls_ordering;
  const nullsFirst = nulls === "SORTBY_NULLS_FIRST" ? true : nulls === "SORTBY_NULLS_LAST" ? false : descending;
  return { descending, nullsFirst };
}

/** An IndexElem as an index key plus the column name the server would give it. */
function keyFromElem(elem: any): { key: IndexKey; columnName: string } {
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
function sameIndexDefinition(a: Pick<Index, "keys" | "include" | "unique" | "method" | "where" | "nullsNotDistinct">, b: typeof a): boolean {
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

function indexColumnsUsed(index: Index): Set<string> {
  const used = new Set<string>();
  for (const key of index.keys) {
    if (key.column) used.add(key.column);
    if (key.expressionAst) referencedColumns(key.expressionAst, used);
  }
  for (const column of index.include) used.add(column);
  if (index.whereAst) referencedColumns(index.whereAst, used);
  return used;
}

function partitionKeyText(partspec: any): string {
  const strategy = String(partspec.strategy ?? "").replace("PARTITION_STRATEGY_", "");
  const parts = (partspec.partParams ?? []).map((p: any) => {
    const elem = p.PartitionElem ?? {};
    return elem.name ?? `(${deparseNode(elem.expr)})`;
  });
  return `${strategy} (${parts.join(", ")})`;
}


/** Constraints read from a CREATE TABLE's columns and table elements, applied once the columns exist. */
interface ConstraintsOfTable {
  checks: Array<{ name: string | null; expr: any }>;
  notNulls: Array<{ column: string; name: string | null }>;
  indexSpecs: IndexSpec[];
  foreignKeys: Array<{ constraint: any; columns: string[] }>;
}

class SchemaReplay {
  private readonly tables = new Map<string, Table>();
  private readonly tableState = new Map<Table, TableState>();
  private readonly indexState = new Map<Index, IndexState>();
  /** Index name (schema-qualified key) -> index; index names share the schema's relation namespace. */
  private readonly indexByName = new Map<string, Index>();
  private readonly indexOwner = new Map<Index, Table>();
  /** Every relation name per schema: tables, indexes, sequences, views. */
  private readonly relations = new Map<string, Set<string>>();
  /** Constraint names per schema, counted (two tables may share one, e.g. after LIKE). */
  private readonly constraintNames = new Map<string, Map<string, number>>();
  private searchPath: string[] = [DEFAULT_SCHEMA];
  private created = 0;
  private location: Location = { file: "", line: 1, column: 1 };
  private fileOrder = 0;
  private statementSql = "";
  /** Where the statement's relation name sits: its parser offset and its index in the statement text. */
  private anchor: { parserOffset: number; textIndex: number } | null | undefined = null;
  private anchorRelation: any = null;
  /** Line breaks and the first non-ASCII character of statementSql, found on first use. */
  private statementText: StatementText | null = null;

  apply(statement: Statement): void {
    this.location = statement.location;
    this.fileOrder = statement.fileOrder;
    this.statementSql = statement.sql ?? "";
    this.statementText = null;
    this.anchor = null;
    this.anchorRelation = null;
    const [kind, node] = nodeKind(statement.ast);
    this.applyNode(kind, node, null);
  }

  private applyNode(kind: string, node: any, schemaOverride: string | null): void {
    switch (kind) {
      case "CreateStmt":
        return this.createTable(node, schemaOverride);
      case "AlterTableStmt":
        if (node.objtype === "OBJECT_TABLE") this.alterTable(node);
        else if (node.objtype === "OBJECT_INDEX") this.alterIndex(node);
        return;
      case "IndexStmt":
        return this.createIndex(node, schemaOverride);
      case "DropStmt":
        return this.drop(node);
      case "RenameStmt":
        return this.rename(node);
      case "AlterObjectSchemaStmt":
        if (node.objectType === "OBJECT_TABLE" && node.relation && node.newschema) {
          const table = this.resolve(node.relation);
          if (table) this.setSchema(table, node.newschema);
        }
        return;
      case "CreateSchemaStmt": {
        // Elements of CREATE SCHEMA see the new schema first on the search path.
        const saved = this.searchPath;
        if (node.schemaname) this.searchPath = [node.schemaname, ...saved];
        try {
          for (const element of node.schemaElts ?? []) {
            const [elementKind, elementNode] = nodeKind(element);
            this.applyNode(elementKind, elementNode, node.schemaname ?? null);
          }
        } finally {
          this.searchPath = saved;
        }
        return;
      }
      case "CreateSeqStmt":
      case "ViewStmt":
      case "CreateForeignTableStmt":
      case "CreateTableAsStmt": {
        const relation = kind === "ViewStmt" ? node.view : kind === "CreateTableAsStmt" ? node.into?.rel : kind === "CreateForeignTableStmt" ? node.base?.relation : node.sequence;
        if (relation?.relname && relation.relpersistence !== "t") {
          this.addRelation(relation.schemaname ?? schemaOverride ?? this.creationSchema(), relation.relname);
        }
        return;
      }
      case "VariableSetStmt":
        if (node.name === "search_path") this.setSearchPath(node);
        return;
      default:
        return;
    }
  }

  finish(): Schema {
    const tables = [...this.tables.values()].sort(
      (a, b) => this.tableState.get(a)!.order - this.tableState.get(b)!.order,
    );
    for (const table of tables) {
      const state = this.tableState.get(table)!;
      table.checkConstraints = [...state.checks.keys(), ...state.notNull.values()];
    }
    return { tables };
  }

  // ------------------------------------------------------------ names

  private setSearchPath(node: any): void {
    if (node.kind === "VAR_RESET" || node.kind === "VAR_SET_DEFAULT") {
      this.searchPath = [DEFAULT_SCHEMA];
      return;
    }
    const entries = (node.args ?? [])
      .map((arg: any) => arg?.A_Const?.sval?.sval ?? stringOf(arg) ?? arg?.ColumnRef?.fields?.map(stringOf).join("."))
      .filter((s: unknown): s is string => typeof s === "string")
      .flatMap((s: string) => s.split(","))
      .map((s: string) => s.trim().replace(/^"(.*)"$/, "$1"))
      .filter((s: string) => s !== "" && s !== "$user" && s !== "pg_catalog" && s !== "pg_temp");
    this.searchPath = entries.length > 0 ? entries : [DEFAULT_SCHEMA];
  }

  private creationSchema(): string {
    return this.searchPath[0] ?? DEFAULT_SCHEMA;
  }

  /**
   * Parser offsets are relative to whatever text was parsed (a file, a chunk, a DO body), but the
   * distance between two nodes is not. Finding the relation name in the statement's own text fixes
   * the base, so columns and constraints can point at their own line.
   */
  private setAnchor(relation: any): void {
    this.anchorRelation = relation;
    this.anchor = undefined;
  }

  /** Found on first use: most statements never need a location finer than their own. */
  private findAnchor(): { parserOffset: number; textIndex: number } | null {
    const relation = this.anchorRelation;
    const sql = this.statementSql;
    if (typeof relation?.location !== "number" || !relation.relname) return null;
    const start = skipLeadingComments(sql);
    // The name follows a few keywords (CREATE UNLOGGED TABLE IF NOT EXISTS ...), so a short window does.
    const window = sql.slice(start, start + 256 + 2 * (relation.schemaname ?? relation.relname).length).toLowerCase();
    const needle = String(relation.schemaname ?? relation.relname).toLowerCase();
    for (let at = window.indexOf(needle); at !== -1; at = window.indexOf(needle, at + 1)) {
      const quoted = window[at - 1] === '"';
      const before = quoted ? window[at - 2] : window[at - 1];
      const after = window[at + needle.length];
      const endsWell = quoted ? after === '"' : after === undefined || !IDENTIFIER_CHAR.test(after);
      if ((before === undefined || !IDENTIFIER_CHAR.test(before)) && endsWell) {
        return { parserOffset: relation.location, textIndex: start + at - (quoted ? 1 : 0) };
      }
    }
    return null;
  }

  /** The location of a node inside the current statement, or the statement's own. */
  private at(parserOffset: unknown): Location {
    const base = this.location;
    if (typeof parserOffset !== "number") return base;
    if (this.anchor === undefined) this.anchor = this.findAnchor();
    if (!this.anchor) return base;
    const index = this.anchor.textIndex + (parserOffset - this.anchor.parserOffset);
    // A node always starts at a token; anything else means the anchor was wrong.
    if (index < 0 || index >= this.statementSql.length || /\s/.test(this.statementSql[index])) return base;
    // Scanned once per statement, not once per node: a wide CREATE TABLE asks for every column.
    const text = (this.statementText ??= scanStatementText(this.statementSql));
    // Parser offsets count bytes; past a multibyte character they no longer match string indexes.
    if (text.firstNonAscii !== -1 && text.firstNonAscii < index) return base;
    const breaks = text.newlines;
    // How many line breaks come before `index` (binary search over their sorted offsets).
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid] < index) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return { file: base.file, line: base.line, column: base.column + index };
    return { file: base.file, line: base.line + lo, column: index - breaks[lo - 1] };
  }

  private resolve(relation: any): Table | undefined {
    if (!relation?.relname) return undefined;
    if (relation.schemaname) return this.tables.get(tableKey(relation.schemaname, relation.relname));
    for (const schema of this.searchPath) {
      const table = this.tables.get(tableKey(schema, relation.relname));
      if (table) return table;
    }
    return this.tables.get(tableKey(DEFAULT_SCHEMA, relation.relname));
  }

  private resolveIndex(schema: string | null, name: string): Index | undefined {
    if (schema) return this.indexByName.get(tableKey(schema, name));
    for (const candidate of [...this.searchPath, DEFAULT_SCHEMA]) {
      const index = this.indexByName.get(tableKey(candidate, name));
      if (index) return index;
    }
    return undefined;
  }

  private relationsOf(schema: string): Set<string> {
    let names = this.relations.get(schema);
    if (!names) this.relations.set(schema, (names = new Set()));
    return names;
  }

  private addRelation(schema: string, name: string): void {
    this.relationsOf(schema).add(name);
  }

  private removeRelation(schema: string, name: string): void {
    this.relations.get(schema)?.delete(name);
  }

  private relationTaken(schema: string): (name: string) => boolean {
    const names = this.relationsOf(schema);
    return (name) => names.has(name);
  }

  private constraintsOf(schema: string): Map<string, number> {
    let names = this.constraintNames.get(schema);
    if (!names) this.constraintNames.set(schema, (names = new Map()));
    return names;
  }

  private addConstraintName(schema: string, name: string): void {
    const names = this.constraintsOf(schema);
    names.set(name, (names.get(name) ?? 0) + 1);
  }

  private removeConstraintName(schema: string, name: string): void {
    const names = this.constraintsOf(schema);
    const count = names.get(name) ?? 0;
    if (count <= 1) names.delete(name);
    else names.set(name, count - 1);
  }

  private constraintTaken(schema: string, alsoTaken: readonly string[] = []): (name: string) => boolean {
    const names = this.constraintsOf(schema);
    return (name) => names.has(name) || alsoTaken.includes(name);
  }

  /** ChooseConstraintName: `table_addition_label`, numbered until no constraint in the schema has it. */
  private chooseConstraintName(table: Table, addition: string | null, label: string, alsoTaken: readonly string[] = []): string {
    return chooseName(table.name, addition, label, this.constraintTaken(table.schema, alsoTaken));
  }

  // ------------------------------------------------------------ tables

  private newTable(schema: string, name: string): Table {
    const table: Table = {
      schema,
      name,
      columns: [],
      primaryKey: null,
      indexes: [],
      foreignKeys: [],
      checkConstraints: [],
      partitionBy: null,
      partitionOf: null,
      createdInFileOrder: this.fileOrder,
      location: this.location,
    };
    this.tables.set(tableKey(schema, name), table);
    this.tableState.set(table, { order: this.created++, checks: new Map(), notNull: new Map(), sequences: [] });
    this.addRelation(schema, name);
    return table;
  }

  private state(table: Table): TableState {
    return this.tableState.get(table)!;
  }

  private partitionsOf(table: Table): Table[] {
    if (table.partitionBy === null) return [];
    return [...this.tables.values()].filter(
      (t) => t.partitionOf?.schema === table.schema && t.partitionOf.table === table.name,
    );
  }

  private column(table: Table, name: string): Column | undefined {
    return table.columns.find((c) => c.name === name);
  }

  private createTable(node: any, schemaOverride: string | null): void {
    const relation = node.relation;
    if (!relation?.relname || relation.relpersistence === "t") return;
    this.setAnchor(relation);
    const schema = relation.schemaname ?? schemaOverride ?? this.creationSchema();
    const name: string = relation.relname;
    if (this.relationsOf(schema).has(name)) {
      if (node.if_not_exists) return;
      const existing = this.tables.get(tableKey(schema, name));
      if (existing) this.dropTable(existing);
    }
    const table = this.newTable(schema, name);
    if (node.partspec) table.partitionBy = partitionKeyText(node.partspec);

    const parents = (node.inhRelations ?? [])
      .map((r: any) => this.resolve(r.RangeVar ?? r))
      .filter((t: Table | undefined): t is Table => t !== undefined);
    const parent: Table | undefined = node.partbound ? parents[0] : undefined;
    if (parent) table.partitionOf = { schema: parent.schema, table: parent.name };
    else if (parents.length > 0) table.inherits = parents.map((p: Table) => ({ schema: p.schema, table: p.name }));

    const state = this.state(table);
    const checks: Array<{ name: string | null; expr: any }> = [];
    const notNulls: Array<{ column: string; name: string | null }> = [];
    const indexSpecs: IndexSpec[] = [];
    const foreignKeys: Array<{ constraint: any; columns: string[] }> = [];
    const likes: Array<{ source: Table; options: number }> = [];
    const inheritedNotNull = new Map<string, string>();

    // Columns of parents come first (INHERITS and PARTITION OF), in parent order.
    for (const parentTable of parents) {
      for (const column of parentTable.columns) {
        if (this.column(table, column.name)) continue;
        table.columns.push({ ...column, location: this.location });
        const inherited = this.state(parentTable).notNull.get(column.name);
        if (inherited) inheritedNotNull.set(column.name, inherited);
      }
      // CHECK constraints are inherited under their own names, by partitions and INHERITS children alike.
      for (const [checkName, columns] of this.state(parentTable).checks) state.checks.set(checkName, [...columns]);
    }

    for (const element of node.tableElts ?? []) {
      const [kind, body] = nodeKind(element);
      if (kind === "ColumnDef") {
        this.readColumnDef(table, body, { checks, notNulls, indexSpecs, foreignKeys });
      } else if (kind === "Constraint") {
        this.readTableConstraint(body, { checks, notNulls, indexSpecs, foreignKeys });
      } else if (kind === "TableLikeClause") {
        const source = this.resolve(body.relation);
        if (!source) continue;
        for (const column of source.columns) {
          if (this.column(table, column.name)) continue;
          table.columns.push({ ...column, location: this.location });
          const notNullName = this.state(source).notNull.get(column.name);
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
        : this.chooseConstraintName(table, columns.length === 1 ? columns[0] : null, "check", checkNames);
      checkNames.push(checkName);
      state.checks.set(checkName, columns);
    }
    for (const checkName of state.checks.keys()) this.addConstraintName(schema, checkName);

    // Serial and identity columns, and primary key columns, are NOT NULL too.
    const primary = indexSpecs.find((s) => s.constraint === "primary");
    for (const key of primary?.keys ?? []) if (key.column) notNulls.push({ column: key.column, name: null });
    for (const [column, inherited] of inheritedNotNull) notNulls.unshift({ column, name: inherited });
    const givenNames = notNulls.filter((n) => n.name !== null).map((n) => n.name as string);
    for (const notNull of notNulls) {
      const column = this.column(table, notNull.column);
      if (!column || state.notNull.has(column.name)) continue;
      column.nullable = false;
      const constraintName = notNull.name
        ? truncateIdentifier(notNull.name)
        : this.chooseConstraintName(table, column.name, "not_null", givenNames);
      state.notNull.set(column.name, constraintName);
      this.addConstraintName(schema, constraintName);
    }

    // Partitions get their parent's indexes and foreign keys before their own.
    if (parent) {
      for (const parentIndex of parent.indexes) this.cloneIndexInto(table, parentIndex);
      for (const fk of parent.foreignKeys) this.cloneForeignKeyInto(table, fk);
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
    for (const spec of finalSpecs) this.buildIndex(table, spec, true);

    for (const like of likes) {
      if (like.options & LIKE_INDEXES) {
        for (const sourceIndex of like.source.indexes) this.cloneIndexInto(table, sourceIndex, false);
      }
      if (like.options & LIKE_CONSTRAINTS) {
        for (const [checkName, columns] of this.state(like.source).checks) {
          if (state.checks.has(checkName)) continue;
          state.checks.set(checkName, [...columns]);
          this.addConstraintName(schema, checkName);
        }
      }
    }

    for (const { constraint, columns } of foreignKeys) this.addForeignKey(table, constraint, columns, false);
  }

  private readColumnDef(
    table: Table,
    def: any,
    into: ConstraintsOfTable,
  ): void {
    const name: string = def.colname;
    if (!name) return;
    let column = this.column(table, name);
    if (!column) {
      column = { name, type: formatTypeName(def.typeName), nullable: true, location: this.at(def.location) };
      table.columns.push(column);
    } else if (def.typeName) {
      column.type = formatTypeName(def.typeName);
    }
    if (def.typeName && isSerialType(def.typeName)) {
      into.notNulls.push({ column: name, name: null });
      this.addOwnedSequence(table, name);
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
          this.addOwnedSequence(table, name);
          break;
        case "CONSTR_PRIMARY":
        case "CONSTR_UNIQUE":
          into.indexSpecs.push(this.specFromConstraint(constraint, [name]));
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

  private readTableConstraint(
    constraint: any,
    into: ConstraintsOfTable,
  ): void {
    switch (constraint.contype) {
      case "CONSTR_PRIMARY":
      case "CONSTR_UNIQUE":
      case "CONSTR_EXCLUSION":
        into.indexSpecs.push(this.specFromConstraint(constraint, stringList(constraint.keys)));
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

  private addOwnedSequence(table: Table, column: string): void {
    const name = chooseName(table.name, column, "seq", this.relationTaken(table.schema));
    this.addRelation(table.schema, name);
    this.state(table).sequences.push(name);
  }

  // ------------------------------------------------------------ indexes

  private specFromConstraint(constraint: any, keyColumns: string[]): IndexSpec {
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
      location: this.at(constraint.location),
    };
  }

  private specFromIndexStmt(node: any): IndexSpec {
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
  private buildIndex(table: Table, spec: IndexSpec, recurse: boolean, parent: Index | null = null): Index {
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
          this.relationTaken(table.schema),
          this.constraintTaken(table.schema),
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
      location: spec.location ?? this.location,
    };
    if (spec.nullsNotDistinct) index.nullsNotDistinct = true;
    this.registerIndex(table, index, { columnNames, parent });
    if (spec.constraint === "primary") this.setPrimaryKey(table, index);
    if (recurse) for (const partition of this.partitionsOf(table)) this.attachOrCloneIndex(partition, index);
    return index;
  }

  private registerIndex(table: Table, index: Index, state: IndexState): void {
    table.indexes.push(index);
    this.indexState.set(index, state);
    this.indexOwner.set(index, table);
    this.indexByName.set(tableKey(table.schema, index.name), index);
    this.addRelation(table.schema, index.name);
    if (index.constraint) this.addConstraintName(table.schema, index.name);
  }

  private setPrimaryKey(table: Table, index: Index): void {
    const columns = index.keys.map((k) => k.column ?? k.expression ?? "");
    table.primaryKey = { name: index.name, columns };
    for (const columnName of columns) this.setNotNull(table, columnName, null, false);
  }

  /** A copy of `source` on `table`, named for `table` the way generateClonedIndexStmt + DefineIndex name it. */
  private cloneIndexInto(table: Table, source: Index, asPartitionOf = true): Index {
    const sourceState = this.indexState.get(source);
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
    return this.buildIndex(table, spec, asPartitionOf, asPartitionOf ? source : null);
  }

  /** A partition gets the parent's index: an equivalent unattached one it has, or a new one. */
  private attachOrCloneIndex(partition: Table, parentIndex: Index): void {
    const match = partition.indexes.find(
      (candidate) =>
        !this.indexState.get(candidate)?.parent &&
        sameIndexDefinition(candidate, parentIndex) &&
        (parentIndex.constraint === null || candidate.constraint !== null),
    );
    if (match) {
      this.indexState.get(match)!.parent = parentIndex;
      for (const sub of this.partitionsOf(partition)) {
        if (!sub.indexes.some((i) => this.indexState.get(i)?.parent === match)) this.attachOrCloneIndex(sub, match);
      }
      return;
    }
    this.cloneIndexInto(partition, parentIndex, true);
  }

  /** ALTER INDEX parent ATTACH PARTITION child, as pg_dump writes partitioned indexes. */
  private alterIndex(node: any): void {
    const parent = this.resolveIndex(node.relation?.schemaname ?? null, node.relation?.relname ?? "");
    if (!parent) return;
    for (const item of node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (cmd?.subtype !== "AT_AttachPartition") continue;
      const name = cmd.def?.PartitionCmd?.name;
      const child = this.resolveIndex(name?.schemaname ?? null, name?.relname ?? "");
      const state = child ? this.indexState.get(child) : undefined;
      if (state) state.parent = parent;
    }
  }

  private createIndex(node: any, schemaOverride: string | null): void {
    // Inside CREATE SCHEMA, unqualified names belong to that schema (the statement tree stays untouched).
    const relation = schemaOverride && node.relation && !node.relation.schemaname ? { ...node.relation, schemaname: schemaOverride } : node.relation;
    const table = this.resolve(relation);
    if (!table) return;
    if (node.idxname && this.relationsOf(table.schema).has(truncateIdentifier(node.idxname))) {
      // IF NOT EXISTS skips; without it the server would have failed, so there is nothing to replay.
      return;
    }
    // ON ONLY leaves the partitions alone.
    const recurse = relation.inh === true;
    this.buildIndex(table, this.specFromIndexStmt(node), recurse);
  }

  private removeIndex(index: Index): void {
    const table = this.indexOwner.get(index);
    if (!table) return;
    // Only a partitioned table's indexes have children on the partitions.
    if (table.partitionBy !== null) {
      for (const [child, state] of this.indexState) {
        if (state.parent === index) this.removeIndex(child);
      }
    }
    table.indexes = table.indexes.filter((i) => i !== index);
    this.indexState.delete(index);
    this.indexOwner.delete(index);
    this.indexByName.delete(tableKey(table.schema, index.name));
    this.removeRelation(table.schema, index.name);
    if (index.constraint) this.removeConstraintName(table.schema, index.name);
    if (index.constraint === "primary" && table.primaryKey?.name === index.name) table.primaryKey = null;
  }

  private renameIndex(index: Index, newName: string): void {
    const table = this.indexOwner.get(index);
    if (!table) return;
    const name = truncateIdentifier(newName);
    this.indexByName.delete(tableKey(table.schema, index.name));
    this.removeRelation(table.schema, index.name);
    if (index.constraint) {
      this.removeConstraintName(table.schema, index.name);
      this.addConstraintName(table.schema, name);
    }
    if (table.primaryKey && index.constraint === "primary") table.primaryKey.name = name;
    index.name = name;
    this.indexByName.set(tableKey(table.schema, name), index);
    this.addRelation(table.schema, name);
  }

  // ------------------------------------------------------------ constraints

  private setNotNull(table: Table, columnName: string, givenName: string | null, recurse: boolean): void {
    const column = this.column(table, columnName);
    if (!column) return;
    column.nullable = false;
    const state = this.state(table);
    if (!state.notNull.has(columnName)) {
      const name = givenName ? truncateIdentifier(givenName) : this.chooseConstraintName(table, columnName, "not_null");
      state.notNull.set(columnName, name);
      this.addConstraintName(table.schema, name);
    }
    if (recurse) for (const partition of this.partitionsOf(table)) this.setNotNull(partition, columnName, state.notNull.get(columnName)!, true);
  }

  private dropNotNull(table: Table, columnName: string): void {
    const column = this.column(table, columnName);
    if (!column) return;
    column.nullable = true;
    const state = this.state(table);
    const name = state.notNull.get(columnName);
    if (name) {
      state.notNull.delete(columnName);
      this.removeConstraintName(table.schema, name);
    }
    for (const partition of this.partitionsOf(table)) this.dropNotNull(partition, columnName);
  }

  private addCheck(table: Table, constraint: any, recurse: boolean, name?: string): void {
    const columns = [...referencedColumns(constraint.raw_expr)];
    const checkName =
      name ??
      (constraint.conname
        ? truncateIdentifier(constraint.conname)
        : this.chooseConstraintName(table, columns.length === 1 ? columns[0] : null, "check"));
    const state = this.state(table);
    if (!state.checks.has(checkName)) {
      state.checks.set(checkName, columns);
      this.addConstraintName(table.schema, checkName);
    }
    if (recurse) for (const partition of this.partitionsOf(table)) this.addCheck(partition, constraint, true, checkName);
  }

  private addForeignKey(table: Table, constraint: any, columns: string[], honourNotValid: boolean): void {
    const referenced = this.resolve(constraint.pktable);
    let referencedColumns = stringList(constraint.pk_attrs);
    // No column list: the referenced table's primary key.
    if (referencedColumns.length === 0 && referenced?.primaryKey) referencedColumns = [...referenced.primaryKey.columns];
    const name = constraint.conname
      ? truncateIdentifier(constraint.conname)
      : this.chooseConstraintName(table, nameAddition(columns), "fkey");
    const fk: ForeignKey = {
      name,
      columns,
      references: {
        schema: referenced?.schema ?? constraint.pktable?.schemaname ?? this.creationSchema(),
        table: referenced?.name ?? constraint.pktable?.relname ?? "",
        columns: referencedColumns,
      },
      onDelete: FK_ACTIONS[constraint.fk_del_action as string] ?? "no action",
      onUpdate: FK_ACTIONS[constraint.fk_upd_action as string] ?? "no action",
      notValid: honourNotValid && (constraint.skip_validation === true || constraint.initially_valid === false),
      // PostgreSQL 18: the parser sets is_enforced for an enforced key; a table constraint's NOT ENFORCED omits it.
      enforced: constraint.is_enforced === true || (constraint.is_enforced === undefined && constraint.skip_validation !== true),
      location: this.at(constraint.location),
    };
    table.foreignKeys.push(fk);
    this.addConstraintName(table.schema, name);
    for (const partition of this.partitionsOf(table)) this.cloneForeignKeyInto(partition, fk);
  }

  /** Partitions carry their parent's foreign keys under the same name (a new one only on a clash). */
  private cloneForeignKeyInto(table: Table, fk: ForeignKey): void {
    const usedHere = (name: string) =>
      table.foreignKeys.some((f) => f.name === name) ||
      this.state(table).checks.has(name) ||
      table.indexes.some((i) => i.constraint !== null && i.name === name);
    const name = usedHere(fk.name) ? this.chooseConstraintName(table, nameAddition(fk.columns), "fkey") : fk.name;
    const clone: ForeignKey = { ...fk, name, columns: [...fk.columns], references: { ...fk.references, columns: [...fk.references.columns] }, location: this.location };
    table.foreignKeys.push(clone);
    this.addConstraintName(table.schema, name);
    for (const partition of this.partitionsOf(table)) this.cloneForeignKeyInto(partition, clone);
  }

  private addConstraint(table: Table, constraint: any, recurse: boolean): void {
    switch (constraint.contype) {
      case "CONSTR_PRIMARY":
      case "CONSTR_UNIQUE":
      case "CONSTR_EXCLUSION":
        if (constraint.indexname) return this.constraintUsingIndex(table, constraint);
        this.buildIndex(table, this.specFromConstraint(constraint, stringList(constraint.keys)), recurse);
        return;
      case "CONSTR_CHECK":
        return this.addCheck(table, constraint, recurse);
      case "CONSTR_FOREIGN":
        return this.addForeignKey(table, constraint, stringList(constraint.fk_attrs), true);
      case "CONSTR_NOTNULL":
        for (const column of stringList(constraint.keys)) this.setNotNull(table, column, constraint.conname ?? null, recurse);
        return;
      default:
        return;
    }
  }

  /** ADD CONSTRAINT ... USING INDEX: the index now backs the constraint and takes its name. */
  private constraintUsingIndex(table: Table, constraint: any): void {
    const index = this.resolveIndex(table.schema, constraint.indexname);
    if (!index || this.indexOwner.get(index) !== table) return;
    const kind: IndexConstraintKind = constraint.contype === "CONSTR_PRIMARY" ? "primary" : "unique";
    const name = constraint.conname ? truncateIdentifier(constraint.conname) : index.name;
    if (name !== index.name) this.renameIndex(index, name);
    index.constraint = kind;
    index.location = this.location;
    this.addConstraintName(table.schema, index.name);
    if (kind === "primary") this.setPrimaryKey(table, index);
  }

  /** Foreign keys elsewhere that point at these columns of `table` (they go when the key they use goes). */
  private removeReferencingForeignKeys(table: Table, columns: string[] | null): void {
    for (const other of this.tables.values()) {
      const keep = other.foreignKeys.filter((fk) => {
        const pointsHere = fk.references.schema === table.schema && fk.references.table === table.name;
        if (!pointsHere) return true;
        if (columns !== null) {
          const sameKey =
            fk.references.columns.length === columns.length && fk.references.columns.every((c) => columns.includes(c));
          if (!sameKey) return true;
        }
        this.removeConstraintName(other.schema, fk.name);
        return false;
      });
      other.foreignKeys = keep;
    }
  }

  private dropConstraint(table: Table, name: string, cascade: boolean): void {
    const index = table.indexes.find((i) => i.constraint !== null && i.name === name);
    if (index) {
      const columns = index.keys.map((k) => k.column ?? "");
      this.removeIndex(index);
      if (cascade) this.removeReferencingForeignKeys(table, columns);
      return;
    }
    const fk = table.foreignKeys.find((f) => f.name === name);
    if (fk) {
      table.foreignKeys = table.foreignKeys.filter((f) => f !== fk);
      this.removeConstraintName(table.schema, name);
      for (const partition of this.partitionsOf(table)) this.dropConstraint(partition, name, cascade);
      return;
    }
    const state = this.state(table);
    if (state.checks.delete(name)) {
      this.removeConstraintName(table.schema, name);
      for (const partition of this.partitionsOf(table)) this.dropConstraint(partition, name, cascade);
      return;
    }
    for (const [column, notNullName] of state.notNull) {
      if (notNullName === name) return this.dropNotNull(table, column);
    }
  }

  private renameConstraint(table: Table, oldName: string, newName: string): void {
    const name = truncateIdentifier(newName);
    const index = table.indexes.find((i) => i.constraint !== null && i.name === oldName);
    if (index) return this.renameIndex(index, name);
    const fk = table.foreignKeys.find((f) => f.name === oldName);
    const state = this.state(table);
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
    this.removeConstraintName(table.schema, oldName);
    this.addConstraintName(table.schema, name);
  }

  // ------------------------------------------------------------ ALTER TABLE

  private alterTable(node: any): void {
    const table = this.resolve(node.relation);
    if (!table) return;
    this.setAnchor(node.relation);
    const recurse = node.relation.inh === true;
    for (const item of node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (!cmd) continue;
      switch (cmd.subtype) {
        case "AT_AddColumn":
        case "AT_AddColumnToView":
          this.addColumn(table, cmd.def?.ColumnDef, recurse);
          break;
        case "AT_DropColumn":
          this.dropColumn(table, cmd.name);
          break;
        case "AT_AlterColumnType":
          this.alterColumnType(table, cmd.name, cmd.def?.ColumnDef?.typeName);
          break;
        case "AT_SetNotNull":
          this.setNotNull(table, cmd.name, null, recurse);
          break;
        case "AT_DropNotNull":
          this.dropNotNull(table, cmd.name);
          break;
        case "AT_AddConstraint":
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint, recurse);
          break;
        case "AT_DropConstraint":
          this.dropConstraint(table, cmd.name, cmd.behavior === "DROP_CASCADE");
          break;
        case "AT_ValidateConstraint":
          for (const fk of table.foreignKeys) if (fk.name === cmd.name) fk.notValid = false;
          for (const partition of this.partitionsOf(table)) {
            for (const fk of partition.foreignKeys) if (fk.name === cmd.name) fk.notValid = false;
          }
          break;
        case "AT_AttachPartition":
          this.attachPartition(table, cmd.def?.PartitionCmd?.name);
          break;
        case "AT_DetachPartition":
        case "AT_DetachPartitionFinalize":
          this.detachPartition(table, cmd.def?.PartitionCmd?.name);
          break;
        default:
          break;
      }
    }
  }

  private addColumn(table: Table, def: any, recurse: boolean): void {
    // An existing column means IF NOT EXISTS (or a failed statement): nothing changes either way.
    if (!def?.colname || this.column(table, def.colname)) return;
    const checks: Array<{ name: string | null; expr: any }> = [];
    const notNulls: Array<{ column: string; name: string | null }> = [];
    const indexSpecs: IndexSpec[] = [];
    const foreignKeys: Array<{ constraint: any; columns: string[] }> = [];
    this.readColumnDef(table, def, { checks, notNulls, indexSpecs, foreignKeys });
    if (recurse) {
      for (const partition of this.partitionsOf(table)) {
        if (!this.column(partition, def.colname)) {
          partition.columns.push({ ...this.column(table, def.colname)!, location: this.location });
        }
      }
    }
    for (const check of checks) this.addCheck(table, { conname: check.name, raw_expr: check.expr }, recurse);
    for (const notNull of notNulls) this.setNotNull(table, notNull.column, notNull.name, recurse);
    for (const spec of indexSpecs) this.buildIndex(table, spec, recurse);
    for (const { constraint, columns } of foreignKeys) this.addForeignKey(table, constraint, columns, true);
  }

  /** Indexes and constraints on the column go with it; so do foreign keys elsewhere that need it (CASCADE). */
  private dropColumn(table: Table, columnName: string): void {
    if (!this.column(table, columnName)) return;
    for (const partition of this.partitionsOf(table)) this.dropColumn(partition, columnName);
    for (const index of [...table.indexes]) {
      if (!table.indexes.includes(index)) continue;
      if (indexColumnsUsed(index).has(columnName)) {
        const columns = index.keys.map((k) => k.column ?? "");
        this.removeIndex(index);
        if (index.constraint) this.removeReferencingForeignKeys(table, columns);
      }
    }
    table.foreignKeys = table.foreignKeys.filter((fk) => {
      if (!fk.columns.includes(columnName)) return true;
      this.removeConstraintName(table.schema, fk.name);
      return false;
    });
    for (const other of this.tables.values()) {
      other.foreignKeys = other.foreignKeys.filter((fk) => {
        const pointsHere =
          fk.references.schema === table.schema &&
          fk.references.table === table.name &&
          fk.references.columns.includes(columnName);
        if (!pointsHere) return true;
        this.removeConstraintName(other.schema, fk.name);
        return false;
      });
    }
    const state = this.state(table);
    for (const [checkName, columns] of [...state.checks]) {
      if (columns.includes(columnName)) {
        state.checks.delete(checkName);
        this.removeConstraintName(table.schema, checkName);
      }
    }
    const notNullName = state.notNull.get(columnName);
    if (notNullName) {
      state.notNull.delete(columnName);
      this.removeConstraintName(table.schema, notNullName);
    }
    table.columns = table.columns.filter((c) => c.name !== columnName);
  }

  private alterColumnType(table: Table, columnName: string, typeName: any): void {
    const column = this.column(table, columnName);
    if (!column || !typeName) return;
    column.type = formatTypeName(typeName);
    for (const partition of this.partitionsOf(table)) this.alterColumnType(partition, columnName, typeName);
  }

  private renameColumn(table: Table, from: string, to: string): void {
    const column = this.column(table, from);
    if (!column) return;
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
    for (const other of this.tables.values()) {
      for (const fk of other.foreignKeys) {
        if (fk.references.schema === table.schema && fk.references.table === table.name) {
          fk.references.columns = fk.references.columns.map((c) => (c === from ? name : c));
        }
      }
    }
    const state = this.state(table);
    for (const [checkName, columns] of state.checks) state.checks.set(checkName, columns.map((c) => (c === from ? name : c)));
    const notNullName = state.notNull.get(from);
    if (notNullName) {
      state.notNull.delete(from);
      state.notNull.set(name, notNullName);
    }
    for (const partition of this.partitionsOf(table)) this.renameColumn(partition, from, to);
  }

  private attachPartition(parent: Table, relation: any): void {
    const partition = this.resolve(relation);
    if (!partition || partition === parent) return;
    partition.partitionOf = { schema: parent.schema, table: parent.name };
    for (const parentIndex of parent.indexes) this.attachOrCloneIndex(partition, parentIndex);
    for (const fk of parent.foreignKeys) {
      const existing = partition.foreignKeys.find(
        (f) =>
          f.columns.join(",") === fk.columns.join(",") &&
          f.references.schema === fk.references.schema &&
          f.references.table === fk.references.table &&
          f.references.columns.join(",") === fk.references.columns.join(","),
      );
      if (!existing) this.cloneForeignKeyInto(partition, fk);
    }
  }

  private detachPartition(parent: Table, relation: any): void {
    const partition = this.resolve(relation);
    if (!partition || partition.partitionOf?.table !== parent.name || partition.partitionOf.schema !== parent.schema) return;
    partition.partitionOf = null;
    for (const index of partition.indexes) {
      const state = this.indexState.get(index);
      if (state) state.parent = null;
    }
  }

  // ------------------------------------------------------------ DROP, RENAME, SET SCHEMA

  private drop(node: any): void {
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
          const table = this.resolve({ relname: name, schemaname: schema ?? undefined });
          if (table) this.dropTable(table);
          break;
        }
        case "OBJECT_INDEX": {
          const index = this.resolveIndex(schema, name);
          if (index) this.removeIndex(index);
          break;
        }
        case "OBJECT_SEQUENCE":
        case "OBJECT_VIEW":
        case "OBJECT_MATVIEW":
        case "OBJECT_FOREIGN_TABLE":
          this.removeRelation(schema ?? this.creationSchema(), name);
          break;
        case "OBJECT_SCHEMA":
          if (cascade) {
            for (const table of [...this.tables.values()]) if (table.schema === name && this.tables.has(tableKey(table.schema, table.name))) this.dropTable(table);
            this.relations.delete(name);
            this.constraintNames.delete(name);
          }
          break;
        default:
          break;
      }
    }
  }

  private dropTable(table: Table): void {
    if (!this.tables.has(tableKey(table.schema, table.name))) return;
    for (const partition of this.partitionsOf(table)) this.dropTable(partition);
    for (const index of [...table.indexes]) this.removeIndex(index);
    for (const fk of table.foreignKeys) this.removeConstraintName(table.schema, fk.name);
    const state = this.state(table);
    for (const checkName of state.checks.keys()) this.removeConstraintName(table.schema, checkName);
    for (const notNullName of state.notNull.values()) this.removeConstraintName(table.schema, notNullName);
    for (const sequence of state.sequences) this.removeRelation(table.schema, sequence);
    this.tables.delete(tableKey(table.schema, table.name));
    this.tableState.delete(table);
    this.removeRelation(table.schema, table.name);
    this.removeReferencingForeignKeys(table, null);
  }

  private rename(node: any): void {
    switch (node.renameType) {
      case "OBJECT_TABLE":
      case "OBJECT_INDEX": {
        if (!node.newname) return;
        const table = node.renameType === "OBJECT_TABLE" ? this.resolve(node.relation) : undefined;
        if (table) return this.renameTable(table, node.newname);
        // ALTER INDEX ... RENAME, or ALTER TABLE on an index name (the server allows both).
        const index = this.resolveIndex(node.relation?.schemaname ?? null, node.relation?.relname ?? "");
        if (index) this.renameIndex(index, node.newname);
        return;
      }
      case "OBJECT_COLUMN": {
        if (node.relationType !== "OBJECT_TABLE") return;
        const table = this.resolve(node.relation);
        if (table && node.subname && node.newname) this.renameColumn(table, node.subname, node.newname);
        return;
      }
      case "OBJECT_TABCONSTRAINT": {
        const table = this.resolve(node.relation);
        if (table && node.subname && node.newname) this.renameConstraint(table, node.subname, node.newname);
        return;
      }
      case "OBJECT_SEQUENCE":
      case "OBJECT_VIEW":
      case "OBJECT_MATVIEW": {
        const schema = node.relation?.schemaname ?? this.creationSchema();
        if (node.relation?.relname && node.newname) {
          this.removeRelation(schema, node.relation.relname);
          this.addRelation(schema, node.newname);
        }
        return;
      }
      case "OBJECT_SCHEMA": {
        if (!node.subname || !node.newname) return;
        for (const table of [...this.tables.values()]) if (table.schema === node.subname) this.setSchema(table, node.newname);
        return;
      }
      default:
        return;
    }
  }

  private renameTable(table: Table, newName: string): void {
    const name = truncateIdentifier(newName);
    const oldName = table.name;
    this.tables.delete(tableKey(table.schema, oldName));
    this.removeRelation(table.schema, oldName);
    table.name = name;
    this.tables.set(tableKey(table.schema, name), table);
    this.addRelation(table.schema, name);
    this.retargetReferences(table.schema, oldName, table.schema, name);
  }

  private setSchema(table: Table, newSchema: string): void {
    const oldSchema = table.schema;
    if (oldSchema === newSchema) return;
    this.tables.delete(tableKey(oldSchema, table.name));
    this.removeRelation(oldSchema, table.name);
    table.schema = newSchema;
    this.tables.set(tableKey(newSchema, table.name), table);
    this.addRelation(newSchema, table.name);
    for (const index of table.indexes) {
      this.indexByName.delete(tableKey(oldSchema, index.name));
      this.indexByName.set(tableKey(newSchema, index.name), index);
      this.removeRelation(oldSchema, index.name);
      this.addRelation(newSchema, index.name);
      if (index.constraint) {
        this.removeConstraintName(oldSchema, index.name);
        this.addConstraintName(newSchema, index.name);
      }
    }
    const state = this.state(table);
    for (const sequence of state.sequences) {
      this.removeRelation(oldSchema, sequence);
      this.addRelation(newSchema, sequence);
    }
    const otherConstraints = [...table.foreignKeys.map((f) => f.name), ...state.checks.keys(), ...state.notNull.values()];
    for (const name of otherConstraints) {
      this.removeConstraintName(oldSchema, name);
      this.addConstraintName(newSchema, name);
    }
    this.retargetReferences(oldSchema, table.name, newSchema, table.name);
  }

  /** Foreign keys and partitions that named the table by its old name follow it. */
  private retargetReferences(oldSchema: string, oldName: string, newSchema: string, newName: string): void {
    for (const other of this.tables.values()) {
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
}

/** The schema the statements build, replayed in order. */
export function replaySchema(statements: Statement[]): Schema {
  const replay = new SchemaReplay();
  for (const statement of statements) {
    try {
      replay.apply(statement);
    } catch {
      // A statement shape the model does not know is outside the model: skip it, keep the rest.
    }
  }
  return replay.finish();
}
