// Writing CREATE INDEX for a table that may be partitioned, and checking that an index key is one
// PostgreSQL accepts on that table.
//
// PostgreSQL refuses `CREATE INDEX CONCURRENTLY` on a partitioned table (indexcmds.c: "cannot create
// index on partitioned table ... concurrently"). The documented way to build one without blocking
// writes (CREATE INDEX, "Building Indexes Concurrently" and the partitioning chapter) is: create the
// parent's index with `ON ONLY` (instant, invalid), build the same index CONCURRENTLY on each
// partition, and `ALTER INDEX parent_index ATTACH PARTITION partition_index` for each; the parent
// index turns valid once every partition has one attached.
import type { Schema, Table } from "../core/types.js";
import { parseSql } from "../sql/parser.js";
import { indexName, namePart, qualifiedTable, quoteIdent } from "./sql.js";

export interface IndexDdlRequest {
  /** Where partitions are looked up; without it a partitioned table is taken to have none. */
  schema?: Schema;
  table: Table;
  name: string;
  /** The key list as SQL, without parentheses: `store_id, created_at DESC`. */
  keysSql: string;
  /** Access method; btree when absent. */
  method?: string;
  /** Partial-index predicate as SQL, or null. */
  where?: string | null;
  unique?: boolean;
  /** The key's name parts (`store_id`, `lower(email)`), for the partitions' own index names. */
  nameParts?: string[];
  /** Names already taken, for the partitions' own index names; names chosen here are added. */
  taken?: { has(name: string): boolean; add?(name: string): void };
}

/** The partitions of a partitioned table named in the schema, in the order they were created. */
export function partitionsOf(schema: Schema | undefined, table: Table): Table[] {
  if (!schema || table.partitionBy === null) return [];
  return schema.tables.filter((t) => t.partitionOf?.schema === table.schema && t.partitionOf.table === table.name);
}

function schemaQualifiedIndex(table: Table, name: string): string {
  return table.schema === "public" ? quoteIdent(name) : `${quoteIdent(table.schema)}.${quoteIdent(name)}`;
}

/**
 * The statements that build the index without blocking writes, one per line, each ending in `;`.
 * A plain table gets one `CREATE INDEX CONCURRENTLY IF NOT EXISTS`. A partitioned table gets `ON
 * ONLY` on the parent, then per partition a CONCURRENTLY build (recursing into sub-partitioned
 * ones) and an `ALTER INDEX ... ATTACH PARTITION`. A partitioned table with no partitions in the
 * schema holds no rows: a plain `CREATE INDEX` on it is instant.
 */
export function createIndexStatements(request: IndexDdlRequest): string[] {
  const { table, name } = request;
  const taken = request.taken ?? new Set<string>();
  const using = request.method && request.method.toLowerCase() !== "btree" ? ` USING ${request.method}` : "";
  const tail = `${using} (${request.keysSql})${request.where ? ` WHERE ${request.where}` : ""};`;
  const create = `CREATE ${request.unique ? "UNIQUE " : ""}INDEX`;
  const target = (t: Table, only: boolean) => `${only ? "ONLY " : ""}${qualifiedTable(t.schema, t.name)}`;
  if (table.partitionBy === null) return [`${create} CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${target(table, false)}${tail}`];
  const partitions = partitionsOf(request.schema, table);
  if (partitions.length === 0) return [`${create} IF NOT EXISTS ${quoteIdent(name)} ON ${target(table, false)}${tail}`];

  const statements: string[] = [];
  const build = (parent: Table, parentIndex: string, children: Table[]) => {
    for (const child of children) {
      const childName = indexName(child.name, request.nameParts ?? [namePart(name)], taken);
      taken.add?.(childName);
      const grandChildren = partitionsOf(request.schema, child);
      if (child.partitionBy !== null && grandChildren.length > 0) {
        statements.push(`${create} IF NOT EXISTS ${quoteIdent(childName)} ON ${target(child, true)}${tail}`);
        build(child, childName, grandChildren);
      } else {
        statements.push(`${create}${child.partitionBy === null ? " CONCURRENTLY" : ""} IF NOT EXISTS ${quoteIdent(childName)} ON ${target(child, false)}${tail}`);
      }
      statements.push(`ALTER INDEX ${schemaQualifiedIndex(parent, parentIndex)} ATTACH PARTITION ${schemaQualifiedIndex(child, childName)};`);
    }
  };
  statements.push(`${create} IF NOT EXISTS ${quoteIdent(name)} ON ${target(table, true)}${tail}`);
  build(table, name, partitions);
  return statements;
}

/**
 * `DROP INDEX` for an index the new one replaces. PostgreSQL cannot drop an index of a partitioned
 * table CONCURRENTLY (index.c: "cannot drop partitioned index concurrently").
 */
export function dropIndexStatement(table: Table, name: string): string {
  return `DROP INDEX${table.partitionBy === null ? " CONCURRENTLY" : ""} IF EXISTS ${schemaQualifiedIndex(table, name)};`;
}

// ---------------------------------------------------------------- keys PostgreSQL accepts

// Aggregates and window functions PostgreSQL refuses in an index expression ("aggregate functions
// are not allowed in index expressions"); the common built-ins, as pg_aggregate lists them.
const AGGREGATES = new Set([
  "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "json_agg", "jsonb_agg", "json_object_agg",
  "jsonb_object_agg", "bool_and", "bool_or", "every", "bit_and", "bit_or", "bit_xor", "stddev", "stddev_pop",
  "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "mode",
  "percentile_cont", "percentile_disc", "rank", "dense_rank", "row_number", "ntile", "lag", "lead",
  "first_value", "last_value", "nth_value", "cume_dist", "percent_rank", "xmlagg", "range_agg", "any_value",
]);
// Functions that are not IMMUTABLE ("functions in index expression must be marked IMMUTABLE").
const NOT_IMMUTABLE = new Set([
  "now", "random", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
  "gen_random_uuid", "uuid_generate_v4", "nextval", "currval", "txid_current", "to_char", "current_setting",
  "auth.uid", "auth.jwt", "auth.role", "uid", "jwt", "role",
]);

/** Why PostgreSQL would refuse this expression as an index key on `table`, or null when it accepts it. */
export function expressionProblem(table: Table, expression: string): string | null {
  const parsed = parseSql(`SELECT ${expression}`);
  const target = parsed.ok ? parsed.statements[0]?.ast?.SelectStmt?.targetList : undefined;
  if (!Array.isArray(target) || target.length !== 1 || !target[0].ResTarget?.val) return `\`${expression}\` is not one expression`;
  const columns = new Set(table.columns.map((c) => c.name));
  let problem: string | null = null;
  const visit = (node: unknown): void => {
    if (problem || !node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Record<string, any>;
    if (n.ParamRef) problem = `\`${expression}\` holds a bind parameter`;
    else if (n.SubLink) problem = `\`${expression}\` holds a subquery`;
    else if (n.SQLValueFunction || n.CurrentOfExpr) problem = `\`${expression}\` depends on the time or session`;
    else if (n.ColumnRef) {
      const fields: any[] = n.ColumnRef.fields ?? [];
      const last = fields[fields.length - 1]?.String?.sval;
      const qualifier = fields.length > 1 ? fields[fields.length - 2]?.String?.sval : undefined;
      if (!last) problem = `\`${expression}\` reads every column`;
      else if (qualifier !== undefined && qualifier !== table.name) problem = `\`${expression}\` refers to ${qualifier}, another table or a variable`;
      else if (!columns.has(last)) problem = `${table.name} has no column ${last} once every migration has run (a variable, a parameter, a select-list alias or a dropped column)`;
    } else if (n.TypeCast) {
      // timestamptz -> date/timestamp/text and date/time -> text depend on TimeZone or DateStyle (STABLE casts).
      const to = (n.TypeCast.typeName?.names ?? []).map((x: any) => x.String?.sval).pop()?.toLowerCase() ?? "";
      const arg = n.TypeCast.arg?.ColumnRef?.fields?.at(-1)?.String?.sval;
      const type = arg ? (table.columns.find((c) => c.name === arg)?.type.toLowerCase() ?? "") : "";
      const zoned = /with time zone|timestamptz|timetz/.test(type);
      const temporal = /^(timestamp|date|time|interval)/.test(type);
      if ((zoned && /^(date|timestamp|time)$/.test(to)) || (temporal && /^(text|varchar|bpchar)$/.test(to))) problem = `the cast of ${arg} to ${to} is not IMMUTABLE`;
    } else if (n.FuncCall) {
      const name = (n.FuncCall.funcname ?? []).map((f: any) => f.String?.sval).filter(Boolean).join(".").toLowerCase();
      const bare = name.split(".").pop() ?? name;
      if (n.FuncCall.over || n.FuncCall.agg_star || AGGREGATES.has(bare)) problem = `\`${expression}\` is an aggregate or window function`;
      else if (NOT_IMMUTABLE.has(name) || NOT_IMMUTABLE.has(bare)) problem = `${bare}() is not IMMUTABLE`;
      // `ts AT TIME ZONE 'UTC'` (timezone(text, timestamptz)) is the one IMMUTABLE way to read a zoned value.
      else if (bare !== "timezone") problem = zonedArgument(n.FuncCall.args, `${bare}()`);
    } else if (n.A_Expr && n.A_Expr.kind === "AEXPR_OP") {
      // timestamptz ± interval and the like follow TimeZone (timestamptz_pl_interval is STABLE).
      problem = zonedArgument([n.A_Expr.lexpr, n.A_Expr.rexpr], `the operator ${(n.A_Expr.name ?? []).map((x: any) => x.String?.sval).join("")}`);
    }
    if (!problem) for (const value of Object.values(n)) visit(value);
  };
  // pg_proc marks almost every function and operator over timestamptz/timetz STABLE: their result follows the
  // session's TimeZone, and CREATE INDEX refuses them ("functions in index expression must be marked IMMUTABLE").
  const zonedArgument = (args: unknown[] | undefined, what: string): string | null => {
    for (const arg of args ?? []) {
      const column = (arg as any)?.ColumnRef?.fields?.at(-1)?.String?.sval;
      const type = column ? (table.columns.find((c) => c.name === column)?.type.toLowerCase() ?? "") : "";
      if (/with time zone|timestamptz|timetz/.test(type)) return `${what} on ${column} (${type}) depends on TimeZone, so it is not IMMUTABLE`;
    }
    return null;
  };
  visit(target[0].ResTarget.val);
  return problem;
}

/** Why PostgreSQL would refuse this index key (a column, or an expression) on `table`, or null. */
export function keyProblem(table: Table, key: { column?: string; expression?: string }): string | null {
  if (key.column !== undefined) {
    return table.columns.some((c) => c.name === key.column)
      ? null
      : `${table.name} has no column ${key.column} once every migration has run (a select-list alias, a variable or a dropped column)`;
  }
  if (key.expression !== undefined) return expressionProblem(table, key.expression);
  return "the key names neither a column nor an expression";
}
