// Evidence for a recommendation: the finding's queries planned by PostgreSQL at the table's planned
// size, before and after its fix creates the recommended index, inside a transaction that is rolled
// back, so each finding is judged on the migrations alone.
import type { PGlite } from "@electric-sql/pglite";
import type { AccessPattern, Evidence, Finding, Schema } from "../core/types.js";
import { findPatternTable } from "../schema/lookup.js";
import { tableRef } from "../rules/sql-text.js";
import { parseSql } from "../sql/parser.js";
import { planShape, usesIndex } from "./plan.js";
import { explainGeneric, foreignKeyCheckSql, patternSql } from "./query-sql.js";
import { restoreStats, type TableScale } from "./scale.js";

/** Findings whose fix creates an index the planner can be asked about. */
export const VERIFIED_RULES = new Set(["query-index", "fk-index"]);

/** The most queries planned per finding: enough to show the index is used, bounded in time. */
const MAX_QUERIES = 5;

/** The queries a finding's index is for: its call sites' patterns, and the RI check of each foreign key it covers. */
export function findingQueries(finding: Finding, schema: Schema, patterns: readonly AccessPattern[]): string[] {
  const [schemaName, ...rest] = finding.table.split(".");
  const tableSql = tableRef(schemaName, rest.join("."));
  const queries: string[] = [];
  if (finding.rule === "query-index") {
    const sites = [finding.location, ...(finding.related ?? [])];
    for (const p of patterns) {
      const table = findPatternTable(schema, p);
      if (!table || `${table.schema}.${table.name}` !== finding.table) continue;
      if (!sites.some((s) => s.file === p.location.file && s.line === p.location.line && s.column === p.location.column)) continue;
      queries.push(patternSql(p, tableSql));
    }
  }
  if (finding.rule === "fk-index") queries.push(foreignKeyCheckSql(tableSql, finding.columns));
  for (const m of finding.merged ?? []) if (m.rule === "fk-index") queries.push(foreignKeyCheckSql(tableSql, m.columns));
  return [...new Set(queries)].slice(0, MAX_QUERIES);
}

/** The fix's statements, runnable inside a transaction (CONCURRENTLY removed), and the indexes it creates. */
export function fixStatements(sql: string): { statements: string[]; created: string[] } | null {
  const parsed = parseSql(sql);
  if (!parsed.ok) return null;
  const statements: string[] = [];
  const created: string[] = [];
  for (const s of parsed.statements) {
    let text = sql.slice(s.start, s.end).trim();
    if (!text) continue;
    if (s.ast.IndexStmt || s.ast.DropStmt) text = text.replace(/\bCONCURRENTLY\b/i, "");
    if (s.ast.IndexStmt?.idxname) created.push(s.ast.IndexStmt.idxname);
    statements.push(text);
  }
  return created.length > 0 ? { statements, created } : null;
}

export interface EvidenceResult {
  evidence?: Evidence;
  /** EXPLAIN round trips, in milliseconds each. */
  explainMs: number[];
  /** Why no evidence could be had (the fix did not run, no query planned). */
  problem?: string;
}

/** Plans the finding's queries before and after its fix, at the table's planned size. */
export async function gatherEvidence(db: PGlite, finding: Finding, queries: readonly string[], scale: TableScale | undefined, planner: string): Promise<EvidenceResult> {
  const explainMs: number[] = [];
  const fix = finding.fix ? fixStatements(finding.fix.sql) : null;
  if (!fix) return { explainMs, problem: "the fix creates no index" };
  if (queries.length === 0) return { explainMs, problem: "no query to plan" };
  const relation = finding.table.slice(finding.table.indexOf(".") + 1);
  const explain = async (sql: string) => {
    const started = performance.now();
    try {
      return await explainGeneric(db, sql);
    } catch {
      return null;
    } finally {
      explainMs.push(performance.now() - started);
    }
  };
  await db.exec("BEGIN");
  try {
    if (scale) await restoreStats(db, scale);
    const before: unknown[] = [];
    for (const q of queries) before.push(await explain(q));
    try {
      for (const s of fix.statements) await db.exec(s);
    } catch (error) {
      return { explainMs, problem: `the fix did not execute: ${(error as Error).message}` };
    }
    if (scale) await restoreStats(db, scale);
    const after: unknown[] = [];
    for (const q of queries) after.push(await explain(q));
    const planned = queries.map((q, i) => ({ q, before: before[i], after: after[i] })).filter((p) => p.before && p.after);
    if (planned.length === 0) return { explainMs, problem: "no query could be planned" };
    const used = planned.filter((p) => fix.created.some((name) => usesIndex(p.after, name)));
    const shown = used[0] ?? planned[0];
    const beforeShape = planShape(shown.before, relation);
    const afterShape = planShape(shown.after, relation);
    return {
      explainMs,
      evidence: {
        planner,
        rows: scale?.rows ?? 0,
        hinted: scale?.hinted ?? false,
        query: shown.q,
        before: beforeShape,
        after: afterShape,
        costRatio: afterShape.cost > 0 ? Math.round((beforeShape.cost / afterShape.cost) * 10) / 10 : 0,
        usesIndex: used.length > 0,
        queries: planned.length,
        used: used.length,
      },
    };
  } finally {
    await db.exec("ROLLBACK").catch(() => {});
  }
}
