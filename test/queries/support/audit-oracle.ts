// The whole audit against PostgreSQL (PGlite): the migrations an audit read, replayed into the server;
// each query-index finding's queries planned there before and after its fix.sql runs.
//
// The method is the planner tests' (test/advisor/support/planner-diff.ts): enable_seqscan, enable_sort
// and enable_incremental_sort off, so any usable index path beats a disabled scan or sort; parameters
// through PREPARE / EXECUTE under plan_cache_mode = force_generic_plan, the plan a client that binds
// values gets; and plannerVerdict() to read whether a given index serves the query.
import type { PGlite } from "@electric-sql/pglite";
import type { AuditResult } from "../../../src/audit.js";
import type { AccessPattern, Finding, Statement } from "../../../src/core/types.js";
import { findPatternTable } from "../../../src/schema/lookup.js";
import { quoteIdent, tableRef } from "../../../src/rules/sql-text.js";
import type { Source } from "../../../src/source/source.js";
import { deparseNode, parseSql } from "../../../src/sql/parser.js";
import { plannerVerdict, preparePlanner } from "../../advisor/support/planner-diff.js";

/** A repository held in memory: path -> text. */
export function memorySource(files: Record<string, string>): Source {
  return {
    list: async () => Object.keys(files).map((path) => ({ path })),
    read: async (path: string) => new TextEncoder().encode(files[path]),
  };
}

// Statement kinds the schema model replays: the server must accept every one of them. Others (pg_cron
// jobs, grants to roles a hosted platform creates) may be refused here without changing any table.
const MODELLED = new Set(["CreateStmt", "AlterTableStmt", "IndexStmt", "DropStmt", "RenameStmt", "AlterObjectSchemaStmt", "CreateSchemaStmt", "CreateFunctionStmt"]);

/**
 * Runs the migration statements the audit read, in its order, one at a time. Throws with file:line
 * when the server refuses a statement the model replays.
 */
export async function replayMigrations(db: PGlite, statements: Statement[]): Promise<void> {
  for (const statement of statements) {
    try {
      await db.exec(statement.sql);
    } catch (error) {
      const kind = Object.keys(statement.ast)[0];
      if (MODELLED.has(kind)) {
        throw new Error(`${statement.location.file}:${statement.location.line}: the server refused it: ${(error as Error).message}`);
      }
    }
  }
}

/** Executes a fix statement by statement (CREATE INDEX CONCURRENTLY may not share a transaction). */
export async function executeFix(db: PGlite, sql: string): Promise<void> {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(`fix does not parse: ${parsed.message}\n${sql}`);
  for (const statement of parsed.statements) await db.exec(sql.slice(statement.start, statement.end));
}

/** The index a fix creates: its name, its key columns and expressions as EXPLAIN prints them, partial or not. */
export function createdIndex(sql: string): { name: string; keys: string[]; leading: string; partial: boolean } | null {
  const parsed = parseSql(sql);
  if (!parsed.ok) return null;
  const stmt = parsed.statements.map((s) => s.ast.IndexStmt).find(Boolean);
  if (!stmt) return null;
  const keys: string[] = stmt.indexParams.map((p: any) => (p.IndexElem.name ? quoteIdent(p.IndexElem.name) : deparseNode(p.IndexElem.expr)));
  return { name: stmt.idxname, keys, leading: keys[0], partial: Boolean(stmt.whereClause) };
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

function planNodes(plan: unknown): PlanNode[] {
  const out: PlanNode[] = [];
  const visit = (n: PlanNode) => {
    out.push(n);
    for (const child of n.Plans ?? []) visit(child);
  };
  visit((plan as Array<{ Plan: PlanNode }>)[0].Plan);
  return out;
}

/** Whether an Index Cond uses a key: a bare column as a whole word, anything quoted or an expression as written. */
function condUses(cond: string, key: string): boolean {
  const text = cond.replace(/'(?:[^']|'')*'/g, "''");
  if (/^[a-z_][a-z0-9_]*$/.test(key)) return new RegExp(`(^|[^a-z0-9_."])${key}([^a-z0-9_"]|$)`).test(text.replace(/[a-z_][a-z0-9_]*\([^()]*\)/g, "#()"));
  return text.includes(key);
}

function sorts(plan: unknown): boolean {
  return planNodes(plan).some((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort");
}

// The SQL a pattern stands for and its generic plan: the product's own (src/verify/query-sql.ts).
export { explainGeneric, patternSql } from "../../../src/verify/query-sql.js";
import { explainGeneric, patternSql } from "../../../src/verify/query-sql.js";

export interface FindingCheck {
  finding: Finding;
  /** The queries the finding's index is for, as planned. */
  queries: string[];
  /**
   * Queries an index the migrations built already served as the new one does (should be none): its
   * scan was bounded by every key the new index bounds it by, and it left no sort the new one removes.
   * An existing index that bounds the scan by fewer keys is what a finding may point out ("searches by
   * status, not by reconnect_token"; a partial index a generic plan cannot use, so the scan falls back
   * to one on status alone).
   */
  servedBefore: string[];
  /** Queries the new index does not serve after the fix (should be none). */
  notServedAfter: string[];
}

/**
 * For each query-index finding with a fix: plans its queries with the indexes the migrations built,
 * runs fix.sql, and plans them again. The new index must serve each query (plannerVerdict() of the
 * planner tests) and do better than any index before it. Findings are applied in order, each on top of
 * the fixes before it, as a reader applying them would; each is compared with the plans before any fix.
 */
export async function checkQueryIndexFindings(db: PGlite, result: AuditResult): Promise<FindingCheck[]> {
  await preparePlanner(db);
  const pending: Array<{ check: FindingCheck; patterns: AccessPattern[]; tableSql: string; before: unknown[] }> = [];
  for (const set of result.sets) {
    for (const finding of result.findings.filter((f) => f.rule === "query-index" && f.fix && (f.set ?? set.set.name) === set.set.name)) {
      const sites = [finding.location, ...(finding.related ?? [])];
      const patterns = set.patterns.filter((p) => {
        const table = findPatternTable(set.schema, p);
        return (
          table !== undefined &&
          `${table.schema}.${table.name}` === finding.table &&
          sites.some((s) => s.file === p.location.file && s.line === p.location.line && s.column === p.location.column)
        );
      });
      const [schema, ...rest] = finding.table.split(".");
      const tableSql = tableRef(schema, rest.join("."));
      const queries = patterns.map((p) => patternSql(p, tableSql));
      const before: unknown[] = [];
      for (const sql of queries) before.push(await explainGeneric(db, sql));
      pending.push({ check: { finding, queries, servedBefore: [], notServedAfter: [] }, patterns, tableSql, before });
    }
  }
  for (const { check, patterns, before } of pending) {
    const created = createdIndex(check.finding.fix!.sql);
    await executeFix(db, check.finding.fix!.sql);
    if (!created) {
      check.notServedAfter.push(`fix creates no index: ${check.finding.fix!.sql}`);
      continue;
    }
    for (const [i, pattern] of patterns.entries()) {
      const sql = check.queries[i];
      const after = await explainGeneric(db, sql);
      const answer = plannerVerdict(after, created.name, created.leading, pattern, created.partial);
      if (answer.verdict !== "served") {
        check.notServedAfter.push(`${created.name} does not serve ${sql}: ${answer.plan.slice(0, 300)}`);
        continue;
      }
      const conds = planNodes(after).filter((n) => n["Index Name"] === created.name).map((n) => n["Index Cond"] ?? "");
      const bound = created.keys.filter((key) => conds.some((cond) => condUses(cond, key)));
      const removesSort = sorts(before[i]) && !sorts(after);
      for (const node of planNodes(before[i])) {
        if (!node["Index Name"] || removesSort) continue;
        const cond = node["Index Cond"] ?? "";
        if (bound.length > 0 ? bound.every((key) => condUses(cond, key)) : !cond && !node.Filter) {
          check.servedBefore.push(`${node["Index Name"]} already served ${sql}`);
        }
      }
    }
  }
  return pending.map((p) => p.check);
}
