// The SQL a finding's queries stand for, and EXPLAIN of it as the client's plan mode plans it.
import type { PGlite } from "@electric-sql/pglite";
import type { AccessPattern, ColumnPredicate, OrderTerm } from "../core/types.js";
import { quoteIdent } from "../rules/sql-text.js";

function target(x: { column?: string; expression?: string }): string {
  return x.column !== undefined ? quoteIdent(x.column) : `(${x.expression})`;
}

/**
 * The SQL an access pattern stands for, read back as one SELECT on its table: values the client
 * binds become parameters, constants stay as written. A literal IN list, whose values a pattern does
 * not keep, is written as `= ANY($n)`; predicates no index could use and that name no value (`other`)
 * are left out. UPDATE and DELETE find their rows the way this SELECT does.
 */
export function patternSql(pattern: AccessPattern, tableSql: string): string {
  let n = 0;
  const param = () => `$${++n}`;
  const value = (p: ColumnPredicate) => (p.sentAs === "literal" && p.value !== undefined ? p.value : param());
  const terms: string[] = [];
  for (const p of pattern.predicates) {
    const t = target(p);
    switch (p.op) {
      case "eq":
        terms.push(`${t} = ${value(p)}`);
        break;
      case "neq":
        terms.push(`${t} <> ${value(p)}`);
        break;
      case "range":
        terms.push(`${t} ${p.operator} ${p.clock && p.value ? p.value : value(p)}`);
        break;
      case "in":
        terms.push(`${t} = ANY(${param()})`);
        break;
      case "is-null":
        terms.push(`${t} IS NULL`);
        break;
      case "is-not-null":
        terms.push(`${t} IS NOT NULL`);
        break;
      case "bool":
        if (p.sentAs === "param") terms.push(`${t} = ${param()}`);
        else terms.push(p.value === "false" ? `NOT ${t}` : t);
        break;
      case "bool-test":
        terms.push(`${t} IS ${(p.value ?? "true").toUpperCase()}`);
        break;
      case "like-prefix":
      case "like":
        terms.push(`${t} ${p.caseInsensitive ? "ILIKE" : "LIKE"} ${value(p)}`);
        break;
      case "contains":
        terms.push(`${t} @> ${param()}`);
        break;
      default:
        break;
    }
  }
  const order = (o: OrderTerm) => `${target(o)}${o.descending ? " DESC" : ""}${o.nullsFirst === null ? "" : o.nullsFirst ? " NULLS FIRST" : " NULLS LAST"}`;
  let sql = `SELECT * FROM ${tableSql}`;
  if (terms.length) sql += ` WHERE ${terms.join(" AND ")}`;
  if (pattern.orderBy.length) sql += ` ORDER BY ${pattern.orderBy.map(order).join(", ")}`;
  if (pattern.limited) sql += " LIMIT 10";
  return sql;
}

/**
 * The lookup PostgreSQL's referential-integrity trigger runs on the referencing table for each delete
 * or key update of a referenced row (src/backend/utils/adt/ri_triggers.c, ri_restrict):
 * `SELECT 1 FROM ONLY child x WHERE fk1 = $1 [AND ...] FOR KEY SHARE OF x`.
 */
export function foreignKeyCheckSql(tableSql: string, columns: readonly string[]): string {
  const where = columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(" AND ");
  return `SELECT 1 FROM ONLY ${tableSql} x WHERE ${where} FOR KEY SHARE OF x`;
}

let prepared = 0;

/**
 * EXPLAIN (FORMAT JSON) of a query under a generic plan, the plan a client that binds values gets:
 * PREPARE, then EXPLAIN EXECUTE with every parameter NULL under plan_cache_mode = force_generic_plan
 * (the values never reach the planner). A query without parameters is planned as written.
 * Throws with PostgreSQL's message when the query does not plan.
 */
export async function explainGeneric(db: PGlite, sql: string): Promise<unknown> {
  const params = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  const name = `verify_q${++prepared}`;
  await db.exec(`SET plan_cache_mode = force_generic_plan; PREPARE ${name} AS ${sql}`);
  try {
    const args = params ? `(${Array.from({ length: params }, () => "NULL").join(", ")})` : "";
    const result = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`);
    return result.rows[0]["QUERY PLAN"];
  } finally {
    await db.exec(`DEALLOCATE ${name}`).catch(() => {});
  }
}
