// `--format json`: the stable machine contract `{tool, version, summary, findings[]}`.
import type { AuditResult } from "../audit.js";
import { SEVERITIES, type Finding, type Severity } from "../core/types.js";
import { TOOL_NAME, sortFindings } from "./common.js";

/** A finding as the contract prints it: the pipeline's fields, without the rules' internal `key` and `title`. */
export type JsonFinding = Pick<Finding, "id" | "rule" | "severity" | "table" | "columns" | "message" | "location" | "fix" | "set" | "details" | "related" | "merged" | "summary" | "evidence">;

export interface JsonSummary {
  findings: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
  files: number;
  migrationFiles: number;
  statements: number;
  codeFiles: number;
  patterns: number;
  migrationSets: Array<{ name: string; framework: string; files: number }>;
}

export interface JsonReport {
  tool: string;
  version: string;
  summary: JsonSummary;
  findings: JsonFinding[];
  /** What the verify stage did (`--verify`); absent when it did not run. */
  verification?: AuditResult["verification"];
}

export function buildJsonReport(result: AuditResult, version: string): JsonReport {
  const findings = sortFindings(result.findings);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  for (const f of findings) {
    bySeverity[f.severity]++;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  }
  return {
    tool: TOOL_NAME,
    version,
    summary: {
      findings: findings.length,
      bySeverity,
      byRule: Object.fromEntries(Object.entries(byRule).sort(([a], [b]) => (a < b ? -1 : 1))),
      ...result.stats,
      migrationSets: result.sets.map((s) => ({ name: s.set.name, framework: s.set.framework, files: s.set.files.length })),
    },
    findings: findings.map(toJsonFinding),
    ...(result.verification ? { verification: result.verification } : {}),
  };
}

export function renderJson(result: AuditResult, version: string): string {
  return `${JSON.stringify(buildJsonReport(result, version), null, 2)}\n`;
}

function toJsonFinding(f: Finding): JsonFinding {
  const out: JsonFinding = {
    id: f.id,
    rule: f.rule,
    severity: f.severity,
    table: f.table,
    columns: [...f.columns],
    message: f.message,
    location: { file: f.location.file, line: f.location.line, column: f.location.column },
  };
  // placement is always written: `after` is what an unset placement means (Fix.placement).
  if (f.fix) out.fix = { sql: f.fix.sql, placement: f.fix.placement ?? "after", ...(f.fix.at ? { at: { file: f.fix.at.file, line: f.fix.at.line, column: f.fix.at.column } } : {}), ...(f.fix.declared ? { declared: f.fix.declared } : {}) };
  if (f.set !== undefined) out.set = f.set;
  if (f.summary) out.summary = f.summary;
  if (f.details) out.details = f.details;
  if (f.related && f.related.length > 0) out.related = f.related.map((l) => ({ file: l.file, line: l.line, column: l.column }));
  if (f.evidence) out.evidence = f.evidence;
  if (f.merged && f.merged.length > 0) out.merged = f.merged.map((m) => ({ ...m, columns: [...m.columns] }));
  return out;
}
