// The table every differential case uses, plain and range-partitioned, and the indexes generated on it,
// as SQL for PGlite and as the schema model holds them.
import type { Column, Index, IndexKey, Table } from "../../../src/core/types.js";
import { parseSql } from "../../../src/sql/parser.js";

// ---------------------------------------------------------------- the table every case uses

export const TABLE_NAME = "diff_t";
export const INT_COLUMNS = ["a", "b", "c", "d"] as const;
export const TEXT_COLUMNS = ["s", "u"] as const;
export const BOOL_COLUMNS = ["f", "g"] as const;

export const loc = { file: "diff.sql", line: 1, column: 1 };

// Text columns carry a locale collation, as a hosted database's default would be (PGlite's is C).
export const CREATE_TABLE_SQL = `CREATE TABLE ${TABLE_NAME} (
  id int, a int, b int, c int, d int,
  s text COLLATE "en_US", u text COLLATE "en_US",
  f boolean, g boolean, payload text
)`;

/**
 * The same columns, range-partitioned on `a` (two ranges and a DEFAULT partition for NULLs): an index
 * created on it is built on every partition, and the query reads each partition through its own copy.
 */
export const PARTITIONED_TABLE = "diff_p";
export const CREATE_PARTITIONED_SQL = `CREATE TABLE ${PARTITIONED_TABLE} (
  id int, a int, b int, c int, d int,
  s text COLLATE "en_US", u text COLLATE "en_US",
  f boolean, g boolean, payload text
) PARTITION BY RANGE (a);
CREATE TABLE ${PARTITIONED_TABLE}_1 PARTITION OF ${PARTITIONED_TABLE} FOR VALUES FROM (MINVALUE) TO (5);
CREATE TABLE ${PARTITIONED_TABLE}_2 PARTITION OF ${PARTITIONED_TABLE} FOR VALUES FROM (5) TO (MAXVALUE);
CREATE TABLE ${PARTITIONED_TABLE}_d PARTITION OF ${PARTITIONED_TABLE} DEFAULT`;

export function columnType(column: string): "int" | "text" | "bool" {
  if ((TEXT_COLUMNS as readonly string[]).includes(column)) return "text";
  if ((BOOL_COLUMNS as readonly string[]).includes(column)) return "bool";
  return "int";
}

export function tableModel(indexes: Index[], partitioned = false): Table {
  const columns: Column[] = ["id", ...INT_COLUMNS, ...TEXT_COLUMNS, ...BOOL_COLUMNS, "payload"].map((name) => ({
    name,
    type: name === "payload" ? "text" : columnType(name) === "bool" ? "boolean" : columnType(name) === "int" ? "integer" : "text",
    nullable: true,
    location: loc,
  }));
  return {
    schema: "public",
    name: TABLE_NAME,
    columns,
    primaryKey: null,
    indexes,
    foreignKeys: [],
    checkConstraints: [],
    partitionBy: partitioned ? "RANGE (a)" : null,
    partitionOf: null,
    createdInFileOrder: 0,
    location: loc,
  };
}

// ---------------------------------------------------------------- indexes

export interface IndexSpec {
  keys: Array<{ column?: string; expression?: string; opclass?: string; collation?: string; descending: boolean; nulls?: "first" | "last" }>;
  unique: boolean;
  where: string | null;
  /** The access method; btree when absent (the generator makes only btree indexes). */
  method?: string;
}

function keySql(k: IndexSpec["keys"][number]): string {
  let s = k.column ?? `(${k.expression})`;
  if (k.collation) s += ` COLLATE "${k.collation}"`;
  if (k.opclass) s += ` ${k.opclass}`;
  if (k.descending) s += " DESC";
  if (k.nulls) s += ` NULLS ${k.nulls.toUpperCase()}`;
  return s;
}

export function createIndexSql(name: string, spec: IndexSpec, table = TABLE_NAME): string {
  return `CREATE ${spec.unique ? "UNIQUE " : ""}INDEX ${name} ON ${table}${spec.method ? ` USING ${spec.method}` : ""} (${spec.keys.map(keySql).join(", ")})${spec.where ? ` WHERE ${spec.where}` : ""}`;
}

/** The schema model's view of the index, built from the real parser's tree of its CREATE INDEX. */
export function indexModel(name: string, spec: IndexSpec): Index {
  const parsed = parseSql(createIndexSql(name, spec));
  if (!parsed.ok) throw new Error(`generated index does not parse: ${parsed.message}`);
  const stmt = parsed.statements[0].ast.IndexStmt;
  const keys: IndexKey[] = spec.keys.map((k) => ({
    column: k.column,
    expression: k.expression,
    opclass: k.opclass,
    collation: k.collation,
    descending: k.descending,
    nullsFirst: k.nulls ? k.nulls === "first" : k.descending,
  }));
  return {
    name,
    keys,
    include: [],
    unique: spec.unique,
    method: spec.method ?? "btree",
    where: spec.where,
    whereAst: stmt.whereClause ?? null,
    constraint: null,
    location: loc,
  };
}
