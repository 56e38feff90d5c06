// Shared state of the schema replay: the tables, indexes and names replayed so far, the search
// path, and where the current statement sits. The statement families (replay-*.ts) read and change
// it through the helpers here; nothing in this file knows a statement kind.
import type { Column, Index, IndexConstraintKind, IndexKey, InputProblem, Location, Statement, Table, View } from "../core/types.js";
import { stringOf } from "./ast.js";
import { chooseName, truncateIdentifier } from "./naming.js";

export const DEFAULT_SCHEMA = "public";

/** Bookkeeping the public model does not carry but replay needs. */
export interface TableState {
  order: number;
  /** CHECK constraint name -> columns it refers to (dropped with any of them). */
  checks: Map<string, string[]>;
  /** Column -> name of its NOT NULL constraint (PostgreSQL 18 names them). */
  notNull: Map<string, string>;
  /** Sequences owned by serial and identity columns. */
  sequences: string[];
  /**
   * The model holds every column (false when some come from outside it: an INHERITS parent whose later
   * columns the replay does not copy, a query it cannot expand); only then are missing columns reported.
   */
  columnsKnown: boolean;
}

export interface IndexState {
  /** The index's own column names (pg_attribute of the index), which clones are named from. */
  columnNames: string[];
  /** The partitioned table's index this partition index is attached to. */
  parent: Index | null;
}

/** An index to build, before it has a name. */
export interface IndexSpec {
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

export const tableKey = (schema: string, name: string): string => `${schema}\u0000${name}`;

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

/** Constraints read from a CREATE TABLE's columns and table elements, applied once the columns exist. */
export interface ConstraintsOfTable {
  checks: Array<{ name: string | null; expr: any }>;
  notNulls: Array<{ column: string; name: string | null }>;
  indexSpecs: IndexSpec[];
  foreignKeys: Array<{ constraint: any; columns: string[] }>;
}

export class ReplayState {
  readonly tables = new Map<string, Table>();
  /** Views by schema-qualified key, in creation order (a replaced view keeps its place). */
  readonly views = new Map<string, View>();
  readonly tableState = new Map<Table, TableState>();
  readonly indexState = new Map<Index, IndexState>();
  /** Index name (schema-qualified key) -> index; index names share the schema's relation namespace. */
  readonly indexByName = new Map<string, Index>();
  readonly indexOwner = new Map<Index, Table>();
  /** Every relation name per schema: tables, indexes, sequences, views. */
  readonly relations = new Map<string, Set<string>>();
  /** Constraint names per schema, counted (two tables may share one, e.g. after LIKE). */
  readonly constraintNames = new Map<string, Map<string, number>>();
  searchPath: string[] = [DEFAULT_SCHEMA];
  created = 0;
  location: Location = { file: "", line: 1, column: 1 };
  fileOrder = 0;
  statementSql = "";
  /** Where the statement's relation name sits: its parser offset and its index in the statement text. */
  anchor: { parserOffset: number; textIndex: number } | null | undefined = null;
  anchorRelation: any = null;
  /** Line breaks and the first non-ASCII character of statementSql, found on first use. */
  statementText: StatementText | null = null;

  /** Statements the server would have refused, as input problems at the statement. */
  readonly problems: InputProblem[] = [];

  /** Records that PostgreSQL refuses the current statement; the caller then builds nothing from it. */
  reject(message: string): void {
    this.problems.push({ message, location: this.location, kind: "refused" });
  }

  /** Starts a statement: its location, text and file order apply to everything it creates. */
  begin(statement: Statement): void {
    this.location = statement.location;
    this.fileOrder = statement.fileOrder;
    this.statementSql = statement.sql ?? "";
    this.statementText = null;
    this.anchor = null;
    this.anchorRelation = null;
  }

  setSearchPath(node: any): void {
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

  creationSchema(): string {
    return this.searchPath[0] ?? DEFAULT_SCHEMA;
  }

  /**
   * Parser offsets are relative to whatever text was parsed (a file, a chunk, a DO body), but the
   * distance between two nodes is not. Finding the relation name in the statement's own text fixes
   * the base, so columns and constraints can point at their own line.
   */
  setAnchor(relation: any): void {
    this.anchorRelation = relation;
    this.anchor = undefined;
  }

  /** Found on first use: most statements never need a location finer than their own. */
  findAnchor(): { parserOffset: number; textIndex: number } | null {
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
  at(parserOffset: unknown): Location {
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

  resolve(relation: any): Table | undefined {
    if (!relation?.relname) return undefined;
    if (relation.schemaname) return this.tables.get(tableKey(relation.schemaname, relation.relname));
    for (const schema of this.searchPath) {
      const table = this.tables.get(tableKey(schema, relation.relname));
      if (table) return table;
    }
    return this.tables.get(tableKey(DEFAULT_SCHEMA, relation.relname));
  }

  resolveView(relation: any): View | undefined {
    if (!relation?.relname) return undefined;
    if (relation.schemaname) return this.views.get(tableKey(relation.schemaname, relation.relname));
    for (const schema of [...this.searchPath, DEFAULT_SCHEMA]) {
      const view = this.views.get(tableKey(schema, relation.relname));
      if (view) return view;
    }
    return undefined;
  }

  resolveIndex(schema: string | null, name: string): Index | undefined {
    if (schema) return this.indexByName.get(tableKey(schema, name));
    for (const candidate of [...this.searchPath, DEFAULT_SCHEMA]) {
      const index = this.indexByName.get(tableKey(candidate, name));
      if (index) return index;
    }
    return undefined;
  }

  relationsOf(schema: string): Set<string> {
    let names = this.relations.get(schema);
    if (!names) this.relations.set(schema, (names = new Set()));
    return names;
  }

  addRelation(schema: string, name: string): void {
    this.relationsOf(schema).add(name);
  }

  removeRelation(schema: string, name: string): void {
    this.relations.get(schema)?.delete(name);
  }

  relationTaken(schema: string): (name: string) => boolean {
    const names = this.relationsOf(schema);
    return (name) => names.has(name);
  }

  constraintsOf(schema: string): Map<string, number> {
    let names = this.constraintNames.get(schema);
    if (!names) this.constraintNames.set(schema, (names = new Map()));
    return names;
  }

  addConstraintName(schema: string, name: string): void {
    const names = this.constraintsOf(schema);
    names.set(name, (names.get(name) ?? 0) + 1);
  }

  removeConstraintName(schema: string, name: string): void {
    const names = this.constraintsOf(schema);
    const count = names.get(name) ?? 0;
    if (count <= 1) names.delete(name);
    else names.set(name, count - 1);
  }

  constraintTaken(schema: string, alsoTaken: readonly string[] = []): (name: string) => boolean {
    const names = this.constraintsOf(schema);
    return (name) => names.has(name) || alsoTaken.includes(name);
  }

  /** ChooseConstraintName: `table_addition_label`, numbered until no constraint in the schema has it. */
  chooseConstraintName(table: Table, addition: string | null, label: string, alsoTaken: readonly string[] = []): string {
    return chooseName(table.name, addition, label, this.constraintTaken(table.schema, alsoTaken));
  }

  newTable(schema: string, name: string): Table {
    const table = emptyTable(schema, name, this.fileOrder, this.location);
    this.tables.set(tableKey(schema, name), table);
    this.tableState.set(table, { order: this.created++, checks: new Map(), notNull: new Map(), sequences: [], columnsKnown: true });
    this.addRelation(schema, name);
    return table;
  }

  state(table: Table): TableState {
    return this.tableState.get(table)!;
  }

  partitionsOf(table: Table): Table[] {
    if (table.partitionBy === null) return [];
    return [...this.tables.values()].filter(
      (t) => t.partitionOf?.schema === table.schema && t.partitionOf.table === table.name,
    );
  }

  column(table: Table, name: string): Column | undefined {
    return table.columns.find((c) => c.name === name);
  }

  setNotNull(table: Table, columnName: string, givenName: string | null, recurse: boolean): void {
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

  dropNotNull(table: Table, columnName: string): void {
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
}

/** A table with no columns, keys or indexes yet, created in file `order` at `location`. */
export function emptyTable(schema: string, name: string, order: number, location: Location): Table {
  return {
    schema,
    name,
    columns: [],
    primaryKey: null,
    indexes: [],
    foreignKeys: [],
    checkConstraints: [],
    partitionBy: null,
    partitionOf: null,
    createdInFileOrder: order,
    location,
  };
}
