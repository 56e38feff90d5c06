// The what-if table of the full report: for each table with a size hint of 100,000 rows or more, the
// queries the code makes on it, planned at the declared size as the schema stands, and again with every
// index the findings recommend for it created (in one transaction, rolled back).
import type { PGlite } from "@electric-sql/pglite";
import type { AccessPattern, Finding, Location, PlanShape, Schema } from "../core/types.js";
import { findPatternTable } from "../schema/lookup.js";
import { tableRef } from "../rules/sql-text.js";
import { fixStatements } from "./evidence.js";
import { planShape } from "./plan.js";
import { explainGeneric, patternSql } from "./query-sql.js";
import { restoreStats, type TableScale } from "./scale.js";
import { OVERRULE_MIN_ROWS } from "./overruled.js";

/** Distinct queries planned per table: the table stays readable and the stage bounded in time. */
export const WHAT_IF_MAX_QUERIES = 25;

export interface WhatIfQuery {
  /** Call sites that send this query, first one first. */
  locations: Location[];
  functionName?: string;
  /** The query as planned (parameters as the client binds them). */
  query: string;
  /** The plan at the declared size as the migrations leave the schema; null when it did not plan. */
  today: PlanShape | null;
  /** The plan with the recommended indexes created; null when it did not plan. */
  withIndexes: PlanShape | null;
}

export interface WhatIfTable {
  schema: string;
  name: string;
  rows: number;
  /** The recommended indexes created for the second plan (their names). */
  indexes: string[];
  queries: WhatIfQuery[];
  /** Distinct queries left out past WHAT_IF_MAX_QUERIES. */
  omitted: number;
}

function explainOrNull(db: PGlite, sql: string, ms: number[]): Promise<unknown> {
  const started = performance.now();
  return explainGeneric(db, sql)
    .catch(() => null)
    .finally(() => ms.push(performance.now() - started));
}

/**
 * Plans the queries on each hinted table of OVERRULE_MIN_ROWS rows or more, before and with the
 * indexes the findings (query-index, fk-index) recommend for that table. `explainMs` receives each
 * EXPLAIN round trip.
 */
export async function whatIfTables(
  db: PGlite,
  schema: Schema,
  patterns: readonly AccessPattern[],
  findings: readonly Finding[],
  scales: readonly TableScale[],
  explainMs: number[],
): Promise<WhatIfTable[]> {
  const out: WhatIfTable[] = [];
  for (const scale of scales) {
    if (!scale.hinted || scale.problem || scale.rows < OVERRULE_MIN_ROWS) continue;
    const qualified = `${scale.schema}.${scale.name}`;
    const queries = new Map<string, WhatIfQuery>();
    for (const p of patterns) {
      if (p.kind === "insert" || p.kind === "upsert") continue;
      const table = findPatternTable(schema, p);
      if (!table || table.schema !== scale.schema || table.name !== scale.name) continue;
      const sql = patternSql(p, tableRef(scale.schema, scale.name));
      const known = queries.get(sql);
      if (known) known.locations.push(p.location);
      else queries.set(sql, { locations: [p.location], ...(p.functionName ? { functionName: p.functionName } : {}), query: sql, today: null, withIndexes: null });
    }
    if (queries.size === 0) continue;
    const planned = [...queries.values()].slice(0, WHAT_IF_MAX_QUERIES);
    // An index built and rolled back since leaves the heap's real counts in pg_class (written in place).
    await restoreStats(db, scale);
    for (const q of planned) {
      const plan = await explainOrNull(db, q.query, explainMs);
      q.today = plan ? planShape(plan, scale.name) : null;
    }
    const created: string[] = [];
    await db.exec("BEGIN");
    try {
      for (const f of findings) {
        if (f.table !== qualified || !f.fix || (f.rule !== "query-index" && f.rule !== "fk-index")) continue;
        const fix = fixStatements(f.fix.sql);
        if (!fix) continue;
        try {
          await db.exec("SAVEPOINT what_if");
          for (const s of fix.statements) await db.exec(s);
          await db.exec("RELEASE SAVEPOINT what_if");
          created.push(...fix.created.filter((n) => !created.includes(n)));
        } catch {
          await db.exec("ROLLBACK TO SAVEPOINT what_if");
        }
      }
      await restoreStats(db, scale);
      for (const q of planned) {
        const plan = created.length ? await explainOrNull(db, q.query, explainMs) : null;
        q.withIndexes = created.length ? (plan ? planShape(plan, scale.name) : null) : q.today;
      }
    } finally {
      await db.exec("ROLLBACK").catch(() => {});
    }
    out.push({ schema: scale.schema, name: scale.name, rows: scale.rows, indexes: created, queries: planned, omitted: queries.size - planned.length });
  }
  return out;
}
