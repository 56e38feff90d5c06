// The verify stage (`--verify`, `verify: true`): the audit's migrations replayed into PostgreSQL 18
// (PGlite, in process), the tables scaled to their declared sizes, and every query-index and fk-index
// recommendation planned before and after its index. It runs after the static audit and only adds to
// it: evidence on findings, recommendations the planner does not use demoted to NOTED, and a
// migration-fails finding for each statement PostgreSQL refuses.
import type { AuditResult } from "../audit.js";
import type { AuditConfig } from "../core/config.js";
import { compareFindings } from "../core/findings.js";
import type { Finding, Location, Statement } from "../core/types.js";
import { migrationFails } from "../rules/migration-fails.js";
import { runRules } from "../rules/run.js";
import { shapeText } from "./plan.js";
import { extensionsNamed, startEngine } from "./engine.js";
import { VERIFIED_RULES, findingQueries, gatherEvidence } from "./evidence.js";
import { SUPABASE_PREINSTALLED, wantsSupabase } from "./platform.js";
import { replayStatements, type ReplayFailure } from "./replay.js";
import { DEFAULT_ROWS, scaleTables, type TableScale } from "./scale.js";
import { findOverruled, type OverruledCase } from "./overruled.js";
import { whatIfTables, type WhatIfTable } from "./what-if.js";
import type { Rule } from "../rules/rule.js";
import type { SetVerification, VerificationReport } from "./report.js";

export { DEFAULT_ROWS } from "./scale.js";
export type { OverruledCase } from "./overruled.js";
export type { WhatIfQuery, WhatIfTable } from "./what-if.js";

export type { SetVerification, VerificationReport } from "./report.js";

function statementTable(statement: Statement): string | undefined {
  const ast = statement.ast;
  const rel = ast.CreateStmt?.relation ?? ast.IndexStmt?.relation ?? ast.AlterTableStmt?.relation;
  return rel?.relname ? `${rel.schemaname ?? "public"}.${rel.relname}` : undefined;
}

function demote(finding: Finding): void {
  const e = finding.evidence!;
  const size = `${e.rows.toLocaleString("en-US")} rows${e.hinted ? "" : " (the default size; no size hint)"}`;
  const reason = `PostgreSQL 18's planner does not use the recommended index at ${size}: with it, the query is still planned as ${shapeText(e.after)}. Kept as a note; a size hint in \`tables:\` changes the scale it is judged at.`;
  finding.severity = "noted";
  finding.details = [reason, finding.details].filter(Boolean).join("\n\n");
  finding.summary = `${(finding.summary ?? finding.message).replace(/\.$/, "")} (not used by the planner at ${e.rows.toLocaleString("en-US")} rows).`;
}

/**
 * Runs the verify stage over an audit's result, in place: adds evidence, demotions and migration-fails
 * findings to `result.findings`, and returns what was done and how long it took. One PGlite instance
 * per migration set, closed before returning.
 */
export async function verifyAudit(result: AuditResult, config: AuditConfig): Promise<VerificationReport> {
  const report: VerificationReport = { planner: "PostgreSQL 18", defaultRows: DEFAULT_ROWS, sets: [], verified: 0, demoted: [], overruled: [] };
  const multi = result.sets.length > 1;
  const added: Finding[] = [];
  for (const setResult of result.sets) {
    const setName = setResult.set.name;
    const mine = (f: Finding) => (multi ? f.set === setName : true);
    let started = performance.now();
    const wanted = extensionsNamed(setResult.statements);
    if (wantsSupabase(setResult.set.framework, setResult.statements)) wanted.push(...SUPABASE_PREINSTALLED);
    const db = await startEngine(wanted);
    const sv: SetVerification = {
      name: setName,
      bootMs: performance.now() - started,
      replayMs: 0,
      scaleMs: 0,
      explainMs: [],
      statements: 0,
      standIns: [],
      skipped: [],
      failures: 0,
      tables: [],
      unverified: [],
      whatIf: [],
    };
    try {
      const version = await db.query<{ server_version: string }>("SHOW server_version");
      report.planner = `PostgreSQL ${version.rows[0].server_version.split(" ")[0]}`;
      started = performance.now();
      const declared = setResult.declared && setResult.declared.addedTables.length > 0 ? { orm: setResult.declared.orm, tables: setResult.declared.addedTables } : undefined;
      const replay = await replayStatements(db, setResult.statements, { framework: setResult.set.framework, ...(declared ? { declared } : {}) });
      sv.replayMs = performance.now() - started;
      sv.statements = replay.statements;
      sv.standIns = replay.standIns;
      sv.skipped = replay.skipped;
      sv.failures = replay.failures.length;
      added.push(...failureFindings(result, setResult, replay.failures, config, multi));

      started = performance.now();
      sv.tables = await scaleTables(db, setResult.schema, config);
      sv.scaleMs = performance.now() - started;

      for (const finding of result.findings.filter((f) => mine(f) && VERIFIED_RULES.has(f.rule) && f.fix)) {
        const queries = findingQueries(finding, setResult.schema, setResult.patterns);
        const scale = sv.tables.find((t) => `${t.schema}.${t.name}` === finding.table);
        const outcome = await gatherEvidence(db, finding, queries, scale, report.planner);
        sv.explainMs.push(...outcome.explainMs);
        if (!outcome.evidence || !scale || scale.problem) {
          sv.unverified.push({ id: finding.id, reason: outcome.problem ?? scale?.problem ?? "the table is not scaled (partitioned, or it did not replay)" });
          continue;
        }
        finding.evidence = outcome.evidence;
        report.verified++;
        if (!outcome.evidence.usesIndex && finding.severity !== "noted") {
          demote(finding);
          report.demoted.push(finding.id);
        }
      }

      const over = await findOverruled(db, setResult.schema, setResult.patterns, result.findings.filter(mine), sv.tables, report.planner);
      sv.explainMs.push(...over.explainMs);
      const overFindings = ruleFindings(result, setResult, config, multi, { id: "query-index", description: "", defaultSeverity: "routine", check: () => over.drafts });
      for (const c of over.cases) {
        const f = overFindings.find((x) => x.key === `overruled:${c.index}:${c.query}`);
        if (f) c.id = f.id;
        report.overruled.push(c);
      }
      added.push(...overFindings);
      report.verified += overFindings.filter((f) => f.evidence).length;

      const known = [...result.findings, ...overFindings].filter(mine);
      sv.whatIf = await whatIfTables(db, setResult.schema, setResult.patterns, known, sv.tables, sv.explainMs);
    } finally {
      await db.close();
    }
    report.sets.push(sv);
  }
  result.findings = [...result.findings, ...added].sort(compareFindings);
  return report;
}

/** migration-fails findings for one set, finished as every rule's are (severity config, ignores, suppressions, ids). */
function failureFindings(result: AuditResult, setResult: AuditResult["sets"][number], failures: ReplayFailure[], config: AuditConfig, multi: boolean): Finding[] {
  if (failures.length === 0) return [];
  const replayFailures = failures.map((f) => ({ statement: f.statement, message: f.message, table: statementTable(f.statement) }));
  return ruleFindings(result, setResult, config, multi, migrationFails, replayFailures);
}

/** One rule's findings for one set, finished as every rule's are (severity config, ignores, suppressions, ids). */
function ruleFindings(
  result: AuditResult,
  setResult: AuditResult["sets"][number],
  config: AuditConfig,
  multi: boolean,
  rule: Rule,
  replayFailures?: Parameters<typeof runRules>[0][number]["replayFailures"],
): Finding[] {
  const input = {
    set: setResult.set,
    statements: setResult.statements,
    schema: setResult.schema,
    patterns: setResult.patterns,
    problems: result.problems,
    ...(replayFailures ? { replayFailures } : {}),
  };
  // runRules names the set only when told there are several; one input stands for this set alone.
  return runRules([input], [], config, multi, [rule]);
}
