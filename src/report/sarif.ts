// `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other viewers read it.
import type { AuditResult } from "../audit.js";
import type { Finding, Severity } from "../core/types.js";
import { docsUrl } from "../rules/rule.js";
import { TOOL_NAME, TOOL_URI, ruleTitle, sortFindings, type RuleInfo } from "./common.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

type SarifLevel = "error" | "warning" | "note";

const LEVEL: Record<Severity, SarifLevel> = { important: "error", routine: "warning", noted: "note" };

export function sarifLevel(severity: Severity): SarifLevel {
  return LEVEL[severity];
}

export interface SarifOptions {
  version: string;
  /** Every rule the audit ran, so viewers can show rules that found nothing too. */
  rules?: readonly RuleInfo[];
}

export function buildSarif(result: AuditResult, options: SarifOptions): Record<string, unknown> {
  const findings = sortFindings(result.findings);
  const known = new Map((options.rules ?? []).map((r) => [r.id, r]));
  // A rule that produced findings but is not in the list (e.g. parse-error) still gets a descriptor.
  for (const f of findings) {
    if (!known.has(f.rule)) known.set(f.rule, { id: f.rule, description: ruleTitle(f.rule), defaultSeverity: f.severity });
  }
  const rules = [...known.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));

  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: options.version,
            semanticVersion: options.version,
            informationUri: TOOL_URI,
            rules: rules.map((r) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: ruleTitle(r.id) === r.id ? r.description : ruleTitle(r.id) },
              fullDescription: { text: r.description },
              helpUri: docsUrl(r.id),
              help: { text: `${r.description} See ${docsUrl(r.id)}`, markdown: `${r.description} [Documentation](${docsUrl(r.id)})` },
              defaultConfiguration: { level: LEVEL[r.defaultSeverity] },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        originalUriBaseIds: { "%SRCROOT%": { description: { text: "The audited root." } } },
        results: findings.map((f) => toResult(f, ruleIndex.get(f.rule) ?? 0)),
      },
    ],
  };
}

export function renderSarif(result: AuditResult, options: SarifOptions): string {
  return `${JSON.stringify(buildSarif(result, options), null, 2)}\n`;
}

/** SARIF wants a PascalCase-ish `name` separate from the id: `fk-index` -> `FkIndex`. */
function ruleName(id: string): string {
  return id
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

function physicalLocation(file: string, line: number, column: number) {
  return {
    artifactLocation: { uri: encodeUri(file), uriBaseId: "%SRCROOT%" },
    region: { startLine: Math.max(1, line), startColumn: Math.max(1, column) },
  };
}

/** Relative paths stay relative; only characters a URI cannot hold are escaped. */
function encodeUri(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

function toResult(f: Finding, ruleIndex: number): Record<string, unknown> {
  const text = f.fix ? `${f.message}\n\nRecommended fix:\n${f.fix.sql}` : f.message;
  const result: Record<string, unknown> = {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text },
    locations: [{ physicalLocation: physicalLocation(f.location.file, f.location.line, f.location.column) }],
    partialFingerprints: { "indexAudit/v1": f.id },
    properties: { severity: f.severity, table: f.table, columns: f.columns, ...(f.set !== undefined ? { set: f.set } : {}) },
  };
  if (f.related && f.related.length > 0) {
    result.relatedLocations = f.related.map((l, i) => ({
      id: i + 1,
      physicalLocation: physicalLocation(l.file, l.line, l.column),
      message: { text: "Also concerned" },
    }));
  }
  return result;
}
