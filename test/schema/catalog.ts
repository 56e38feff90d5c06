// The oracle side: what PostgreSQL itself (PGlite) has in its catalog after the same migrations,
// in the shape of the schema dump, plus the normalisation both sides go through before comparing.
import type { PGlite } from "@electric-sql/pglite";
import type { Schema } from "../../src/core/types.js";
import { deparseNode, parseSql } from "../../src/sql/parser.js";
import { schemaDump } from "../../src/schema/dump.js";

export interface ComparableTable {
  table: string;
  columns: string[];
  primaryKey: string | null;
  indexes: string[];
  foreignKeys: string[];
  constraints: string[];
}

const FK_ACTION_CODES: Record<string, string> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

const USER_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'`;

/** Removes every user schema and recreates an empty `public`, so one PGlite serves many fixtures. */
export async function resetDatabase(db: PGlite): Promise<void> {
  // Fixtures may change session settings (pg_dump output empties search_path).
  await db.exec("reset all");
  const schemas = await db.query<{ nspname: string }>(
    `select nspname from pg_namespace n where ${USER_SCHEMAS}`,
  );
  for (const { nspname } of schemas.rows) {
    await db.exec(`drop schema "${nspname.replace(/"/g, '""')}" cascade`);
  }
  await db.exec("create schema public");
}

function stripNoise(node: any): any {
  if (Array.isArray(node)) return node.map(stripNoise);
  if (!node || typeof node !== "object") return node;
  // The server prints the casts it inserts; compare what the expression does, not how it is spelled.
  if (node.TypeCast) return stripNoise(node.TypeCast.arg);
  if (node.A_Expr?.kind === "AEXPR_IN" && node.A_Expr.rexpr?.List) {
    return stripNoise({
      A_Expr: {
        kind: "AEXPR_OP_ANY",
        name: node.A_Expr.name,
        lexpr: node.A_Expr.lexpr,
        rexpr: { A_ArrayExpr: { elements: node.A_Expr.rexpr.List.items } },
      },
    });
  }
  if (node.A_Expr?.kind === "AEXPR_BETWEEN") {
    // The server stores BETWEEN as the two comparisons it means.
    const [low, high] = node.A_Expr.rexpr?.List?.items ?? [];
    const compare = (op: string, right: any) => ({
      A_Expr: { kind: "AEXPR_OP", name: [{ String: { sval: op } }], lexpr: node.A_Expr.lexpr, rexpr: right },
    });
    return stripNoise({ BoolExpr: { boolop: "AND_EXPR", args: [compare(">=", low), compare("<=", high)] } });
  }
  if (node.BoolExpr) {
    // (a AND b) AND c and a AND b AND c are the same test.
    const op = node.BoolExpr.boolop;
    const args = (node.BoolExpr.args ?? []).flatMap((arg: any) =>
      arg.BoolExpr?.boolop === op && op !== "NOT_EXPR" ? arg.BoolExpr.args : [arg],
    );
    return { BoolExpr: { boolop: op, args: args.map(stripNoise) } };
  }
  const copy: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "location" || key === "funcformat" || key === "rexpr_list_start" || key === "rexpr_list_end") continue;
    copy[key] = stripNoise(value);
  }
  return copy;
}

/** An expression's canonical text: parsed by the real parser, casts and layout removed, printed again. */
export function canonicalExpression(text: string): string {
  const outcome = parseSql(`SELECT ${text}`);
  if (!outcome.ok) return `unparseable: ${text}`;
  const target = outcome.statements[0].ast.SelectStmt?.targetList?.[0]?.ResTarget?.val;
  return deparseNode(stripNoise(target));
}

export function canonicalPredicate(text: string | null): string | null {
  if (text === null) return null;
  const outcome = parseSql(`SELECT 1 WHERE ${text}`);
  if (!outcome.ok) return `unparseable: ${text}`;
  return deparseNode(stripNoise(outcome.statements[0].ast.SelectStmt.whereClause));
}

function describeIndex(index: {
  name: string;
  columns: string[];
  unique: boolean;
  method: string;
  where: string | null;
  constraint: string | null;
}, expressionColumns: boolean[]): string {
  const columns = index.columns.map((c, i) => (expressionColumns[i] ? canonicalExpression(c) : c));
  const where = canonicalPredicate(index.where);
  return `${index.name}: ${index.unique ? "unique " : ""}${index.method} (${columns.join(", ")})${where ? ` where ${where}` : ""}${index.constraint ? ` [${index.constraint}]` : ""}`;
}

/** The replayed model in comparable form. */
export function comparableModel(schema: Schema): ComparableTable[] {
  const dump = schemaDump(schema);
  return dump.tables
    .map((table, t) => {
      const model = schema.tables[t];
      return {
        table: `${table.schema}.${table.name}`,
        columns: table.columns.map((c) => `${c.name} ${c.type}${c.nullable ? "" : " not null"}`),
        primaryKey: table.primaryKey ? `${table.primaryKey.name} (${table.primaryKey.columns.join(", ")})` : null,
        indexes: table.indexes
          .map((index, i) => describeIndex(index, model.indexes[i].keys.map((k) => k.column === undefined)))
          .sort(),
        foreignKeys: table.foreignKeys
          .map(
            (fk) =>
              `${fk.name}: (${fk.columns.join(", ")}) -> ${fk.references.schema}.${fk.references.table} (${fk.references.columns.join(", ")}) on delete ${fk.onDelete}`,
          )
          .sort(),
        constraints: [...model.checkConstraints].sort(),
      };
    })
    .sort((a, b) => a.table.localeCompare(b.table));
}

/** The catalog's tables in comparable form; `exclude` leaves out tables made by a test prelude. */
export async function comparableCatalog(db: PGlite, exclude: ReadonlySet<string> = new Set()): Promise<ComparableTable[]> {
  const tables = await db.query<{ oid: number; schema: string; name: string }>(`
    select c.oid, n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'm') and ${USER_SCHEMAS}`);
  const result: ComparableTable[] = [];
  for (const table of tables.rows) {
    const qualified = `${table.schema}.${table.name}`;
    if (exclude.has(qualified)) continue;
    const columns = await db.query<{ attname: string; type: string; attnotnull: boolean }>(
      `select attname, format_type(atttypid, atttypmod) as type, attnotnull
       from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`,
      [table.oid],
    );
    const indexes = await db.query<{
      name: string;
      method: string;
      unique: boolean;
      where: string | null;
      contype: string | null;
      columns: string[];
      expression: boolean[];
    }>(
      `select ic.relname as name, am.amname as method, i.indisunique as unique,
              pg_get_expr(i.indpred, i.indrelid, true) as where,
              (select con.contype::text from pg_constraint con
                 where con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x') limit 1) as contype,
              array(select case when k.attnum <> 0
                                then (select attname::text from pg_attribute where attrelid = i.indrelid and attnum = k.attnum)
                                else pg_get_indexdef(i.indexrelid, k.n::int, true) end
                    from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                    where k.n <= i.indnkeyatts order by k.n) as columns,
              array(select k.attnum = 0 from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                    where k.n <= i.indnkeyatts order by k.n) as expression
       from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
       where i.indrelid = $1`,
      [table.oid],
    );
    const constraints = await db.query<{
      conname: string;
      contype: string;
      columns: string[];
      ref_schema: string | null;
      ref_table: string | null;
      ref_columns: string[] | null;
      confdeltype: string;
    }>(
      `select con.conname, con.contype::text as contype,
              array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.n) as columns,
              rn.nspname as ref_schema, rc.relname as ref_table,
              array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.n) as ref_columns,
              con.confdeltype::text as confdeltype
       from pg_constraint con
       left join pg_class rc on rc.oid = con.confrelid
       left join pg_namespace rn on rn.oid = rc.relnamespace
       where con.conrelid = $1
         -- a foreign key to a partitioned table is repeated once per partition it points at
         and not exists (select 1 from pg_constraint parent
                         where parent.oid = con.conparentid and parent.conrelid = con.conrelid)`,
      [table.oid],
    );
    const pk = constraints.rows.find((c) => c.contype === "p");
    result.push({
      table: qualified,
      columns: columns.rows.map((c) => `${c.attname} ${c.type}${c.attnotnull ? " not null" : ""}`),
      primaryKey: pk ? `${pk.conname} (${pk.columns.join(", ")})` : null,
      indexes: indexes.rows
        .map((i) =>
          describeIndex(
            {
              name: i.name,
              columns: i.columns,
              unique: i.unique,
              method: i.method,
              where: i.where,
              constraint: i.contype === "p" ? "primary" : i.contype === "u" ? "unique" : i.contype === "x" ? "exclusion" : null,
            },
            i.expression,
          ),
        )
        .sort(),
      foreignKeys: constraints.rows
        .filter((c) => c.contype === "f")
        .map(
          (c) =>
            `${c.conname}: (${c.columns.join(", ")}) -> ${c.ref_schema}.${c.ref_table} (${(c.ref_columns ?? []).join(", ")}) on delete ${FK_ACTION_CODES[c.confdeltype]}`,
        )
        .sort(),
      constraints: constraints.rows
        .filter((c) => c.contype === "c" || c.contype === "n")
        .map((c) => c.conname)
        .sort(),
    });
  }
  return result.sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * Views in comparable form: `schema.name (column type, ...)`. A column type the model cannot derive
 * (`unknown`) is compared by name only.
 */
export function comparableModelViews(schema: Schema): string[] {
  return (schema.views ?? [])
    .map((v) => `${v.schema}.${v.name} (${v.columns.map((c) => (c.type === "unknown" ? c.name : `${c.name} ${c.type}`)).join(", ")})`)
    .sort();
}

/** The catalog's views, with the types of the columns the model could derive a type for. */
export async function comparableCatalogViews(db: PGlite, schema: Schema): Promise<string[]> {
  const views = await db.query<{ oid: number; schema: string; name: string }>(`
    select c.oid, n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'v' and ${USER_SCHEMAS}`);
  const out: string[] = [];
  for (const view of views.rows) {
    const model = (schema.views ?? []).find((v) => v.schema === view.schema && v.name === view.name);
    const columns = await db.query<{ attname: string; type: string }>(
      `select attname, format_type(atttypid, atttypmod) as type from pg_attribute
       where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`,
      [view.oid],
    );
    const described = columns.rows.map((c) => {
      const known = model?.columns.find((m) => m.name === c.attname)?.type;
      return known === "unknown" ? c.attname : `${c.attname} ${c.type}`;
    });
    out.push(`${view.schema}.${view.name} (${described.join(", ")})`);
  }
  return out.sort();
}
