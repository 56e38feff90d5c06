// Small pieces every renderer shares: ordering, labels, table names.
import { compareFindings, meetsThreshold } from "../core/findings.js";
import type { Finding, Fix, Location, PlanShape, Severity } from "../core/types.js";

export const TOOL_NAME = "index-audit";
export const TOOL_URI = "https://github.com/index-audit/index-audit";

/** What a renderer needs to know about a rule; a Rule from src/rules satisfies it. */
export interface RuleInfo {
  id: string;
  description: string;
  defaultSeverity: Severity;
}

export const SEVERITY_EMOJI: Record<Severity, string> = { important: "🟡", routine: "🟢", noted: "📝" };

export const SEVERITY_WORD: Record<Severity, string> = { important: "IMPORTANT", routine: "ROUTINE", noted: "NOTED" };

/** Short headings for the rules the report knows; any other rule id is shown as is. */
const RULE_TITLES: Record<string, string> = {
  "fk-index": "Foreign key without index",
  "query-index": "Missing index",
  "redundant-index": "Redundant index",
  "index-locking": "Lock-taking index change",
  "constraint-validation": "Constraint validated under a lock",
  "table-rewrite": "Table rewrite",
  "lock-timeout": "No lock_timeout",
  "missing-primary-key": "Missing primary key",
  "n-plus-one": "N+1 query",
  "unbounded-query": "Unbounded query",
  "app-side-aggregation": "Aggregation in application code",
  "partition-candidate": "Partitioning candidate",
  "parse-error": "Unreadable input",
  "migration-listing": "Migration list out of step",
  "migration-fails": "Migration fails on deploy",
};

export function ruleTitle(ruleId: string): string {
  return RULE_TITLES[ruleId] ?? ruleId;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareLocations(a: Location, b: Location): number {
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** Severity first, then place, then rule and id: the order every report and the pipeline share. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

/** `call_logs` for the public schema (as people write it), `audit.events` otherwise. */
export function displayTable(qualified: string): string {
  return qualified.startsWith("public.") ? qualified.slice("public.".length) : qualified;
}

export function displayTableOf(schema: string, name: string): string {
  return schema === "public" ? name : `${schema}.${name}`;
}

export function formatLocation(location: Location): string {
  return `${location.file}:${location.line}`;
}

/** True when some finding is at or above the threshold (never: nothing fails). */
export function failsAt(findings: readonly Finding[], threshold: Severity | "never"): boolean {
  return findings.some((f) => meetsThreshold(f.severity, threshold));
}

/** A message up to this long serves as the short line when the rule gives none and the fix names no index. */
const SHORT_LINE_CHARS = 200;

/** The index name a fix creates or drops, when it is one CREATE INDEX / DROP INDEX statement. */
function fixIndex(sql: string): { verb: "add" | "drop"; name: string } | null {
  const create = /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)/i.exec(sql);
  // Shown as the index is named in messages: `"Invoice_teamId_idx"` as Invoice_teamId_idx.
  if (create) return { verb: "add", name: create[1].replace(/^"(.*)"$/, "$1").replace(/""/g, '"') };
  const drop = /^\s*DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))?)/i.exec(sql);
  return drop ? { verb: "drop", name: drop[1] } : null;
}

/**
 * The line a reviewer reads first: the rule's own summary, or one built from what the finding is about
 * (`Missing index on call_logs (reconnect_token): add idx_call_logs_reconnect_token.`).
 */
export function shortLine(f: Finding): string {
  if (f.summary) return f.summary;
  const table = f.table ? displayTable(f.table) : formatLocation(f.location);
  const columns = f.columns.length > 0 ? ` (${f.columns.join(", ")})` : "";
  const index = f.fix ? fixIndex(f.fix.sql) : null;
  // With no index to name, a message that is already short says more than the title does.
  const message = f.message.replace(/\s+/g, " ").trim();
  if (!index && message.length <= SHORT_LINE_CHARS) return message;
  return `${f.title ?? ruleTitle(f.rule)} on ${table}${columns}${index ? `: ${index.verb} ${index.name}` : ""}.`;
}

/** Every place the finding concerns beyond its own location (call sites, the other index), as `file:line`. */
export function alsoConcerns(f: Finding): string[] {
  return (f.related ?? []).map(formatLocation);
}

// ---------------------------------------------------------------- planner evidence (verify stage)

function cost(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : String(Math.round(value * 100) / 100);
}

function planLine(shape: PlanShape): string {
  const cond = shape.cond ? `, ${shape.index ? "Index Cond" : "Filter"} \`${shape.cond}\`` : "";
  return `${shape.node}${shape.index ? ` using \`${shape.index}\`` : ""}${cond}; cost ${cost(shape.cost)}, ${shape.rows.toLocaleString("en-US")} row${shape.rows === 1 ? "" : "s"}${shape.sort ? ", sorts" : ""}`;
}

/**
 * The one-line heading of a finding's planner evidence: "Verified by PostgreSQL 18's planner at N rows"
 * only when the planner used the recommended index at that size; otherwise it says it did not.
 */
export function evidenceHeading(f: Finding): string | null {
  const e = f.evidence;
  if (!e) return null;
  const major = e.planner.replace(/^PostgreSQL (\d+).*$/, "PostgreSQL $1");
  const size = `${e.rows.toLocaleString("en-US")} rows${e.hinted ? "" : " (default size, no size hint)"}`;
  if (!e.usesIndex) return `Not used by ${major}'s planner at ${size}`;
  const ratio = e.costRatio >= 1 ? ` (${e.costRatio.toLocaleString("en-US")}× cheaper)` : "";
  return `Verified by ${major}'s planner at ${size}: cost ${cost(e.before.cost)} → ${cost(e.after.cost)}${ratio}`;
}

/** The evidence as one short collapsed block (markdown report, check run, review comment). */
export function evidenceBlock(f: Finding): string | null {
  const e = f.evidence;
  const heading = evidenceHeading(f);
  if (!e || !heading) return null;
  const lines = [
    "<details>",
    `<summary>${heading}</summary>`,
    "",
    "```sql",
    e.query,
    "```",
    "",
    `- Before: ${planLine(e.before)}`,
    `- After: ${planLine(e.after)}`,
  ];
  if (e.queries > 1) lines.push(`- ${e.used} of ${e.queries} queries planned use the new index.`);
  lines.push("", `Planned by ${e.planner} (in process) on the replayed migrations, generic plan for bound parameters; the index was created in a transaction and rolled back.`, "", "</details>");
  return lines.join("\n");
}

/**
 * Markdown lines for a fix given in the declared schema's form (schema.prisma, a Drizzle table), shown before
 * the SQL the ORM's tool generates from it; no lines for a plain SQL fix.
 */
export function declaredFixLines(fix: Fix): string[] {
  const d = fix.declared;
  if (!d) return [];
  const out: string[] = [];
  if (d.text) {
    const where = d.action === "add" ? `add to \`${d.file}\` at line ${d.line}` : `in \`${d.file}\` line ${d.line}`;
    out.push(`In the schema (${where}):`, "```" + d.language, d.text, "```", "SQL the migration tool generates from it:");
  }
  if (d.note) out.push(`${d.note}${d.text ? "" : ` (\`${d.file}\` line ${d.line})`}`, "");
  return out;
}
