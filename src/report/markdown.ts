// The full-repository audit as Markdown: TL;DR triaged by severity, index and FK coverage tables,
// query patterns, numbered findings with SQL, recommended actions and an index appendix.
import type { AuditResult, SetResult } from "../audit.js";
import { tableHint, type AuditConfig } from "../core/config.js";
import type { AccessPattern, ColumnPredicate, Finding, Index, Severity, Table } from "../core/types.js";
import { SEVERITIES } from "../core/types.js";
import { ALL_RULES } from "../rules/index.js";
import { docsUrl } from "../rules/rule.js";
import { tableIndexes } from "../rules/model.js";
import {
  SEVERITY_EMOJI,
  SEVERITY_WORD,
  compareLocations,
  displayTable,
  displayTableOf,
  formatLocation,
  ruleTitle,
  shortLine,
  sortFindings,
  type RuleInfo,
  declaredFixLines,
  evidenceBlock,
} from "./common.js";
import { verificationSection, whatIfSection } from "./verification.js";
import { coverageNote, foreignKeyCoverage } from "./fk-coverage.js";
import { settledLocksSection, splitSettledLocks } from "./settled-locks.js";
import { orderTermText } from "../advisor/search.js";
import { codeSpan, safeCell, safeMarkdown } from "./escape.js";

export interface MarkdownOptions {
  /** Tool version, shown in the header. */
  version: string;
  /** The report's date (YYYY-MM-DD), passed in so the output is reproducible. */
  date: string;
  config: AuditConfig;
  /** What was audited, e.g. the folder or repository name. */
  subject?: string;
  /** The rules the audit ran (default: every registered rule); a claim that all is well is made only for a rule that ran. */
  rules?: readonly RuleInfo[];
}

/** TL;DR bullets shown per severity before the rest is left to the detailed list. */
const TLDR_LIMIT = 15;
/** This many findings of one rule at one severity read as one bullet in the TL;DR. */
const TLDR_GROUP_AT = 4;
/** Findings written out in full; a larger audit lists the rest in JSON output. */
const DETAILED_LIMIT = 200;
/** Tables in the high-volume table when no size hints choose them. */
const HIGH_VOLUME_TABLES = 8;
/** Rules whose findings are about queries rather than the schema. */
const QUERY_RULES = new Set(["query-index", "unbounded-query", "n-plus-one", "app-side-aggregation"]);

/** Whether a rule ran: registered and not switched off in the config. */
type RuleRan = (ruleId: string) => boolean;

export function renderMarkdown(result: AuditResult, options: MarkdownOptions): string {
  const findings = sortFindings(result.findings);
  const registered = new Set((options.rules ?? ALL_RULES).map((r) => r.id));
  const ran: RuleRan = (id) => registered.has(id) && options.config.rules[id] !== "off";
  const multi = result.sets.length > 1;
  const out: string[] = [];

  out.push(`# Database & Index Audit${options.subject ? `: ${options.subject}` : ""}`);
  out.push(`**Date:** ${options.date}  `);
  out.push(`**Tool:** index-audit ${options.version}  `);
  out.push(`**Scope:** ${scopeLine(result)}  `);
  out.push(`**Result:** ${countLine(findings)}`);
  out.push("");

  // Lock findings on migrations that already ran are grouped at the end instead of listed one by one.
  const { main, settled } = splitSettledLocks(result, findings);
  out.push("## TL;DR (Pre-Triaged)", "");
  out.push(...tldr(result, main, ran, settled.length));
  out.push("---", "");
  out.push(...verificationSection(result));

  if (result.sets.length === 0) {
    out.push("## Index Analysis", "", "No migrations were found, so there is no schema to analyse.", "");
  }
  for (const setResult of result.sets) {
    const setFindings = findingsOfSet(findings, setResult, multi);
    const suffix = multi ? ` — \`${setResult.set.name}\`` : "";
    out.push(...indexAnalysis(setResult, setFindings, options.config, suffix));
    out.push(...scaling(setResult, setFindings, options.config, suffix));
    out.push(...whatIfSection(result, setResult.set.name, suffix));
    out.push(...queryPatternAnalysis(setResult, setFindings, suffix, ran));
  }

  out.push(...detailedFindings(main.filter((f) => f.rule !== "parse-error"), multi));
  out.push(...settledLocksSection(settled, options.config));
  out.push(...recommendedActions(main));
  out.push(...inputProblems(result));
  for (const setResult of result.sets) {
    out.push(...appendix(setResult, multi ? ` — \`${setResult.set.name}\`` : ""));
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

// ---------------------------------------------------------------- header and TL;DR

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function scopeLine(result: AuditResult): string {
  const s = result.stats;
  const sets = result.sets.map((r) => `\`${r.set.name}\` (${r.set.framework})`).join(", ");
  const parts = [
    `${plural(s.migrationFiles, "migration file")} (${plural(s.statements, "statement")})${sets ? ` in ${sets}` : ""}`,
    `${plural(s.codeFiles, "code file")} (${plural(s.patterns, "query pattern")})`,
  ];
  parts.push(...declaredScope(result));
  const skipped = result.skipped.map((k) => `\`${k.root}\` (${k.reason})`);
  if (skipped.length) parts.push(`left out: ${skipped.join(", ")}`);
  const views = result.sets.flatMap((r) => r.unresolvedViews ?? []).map((v) => `\`${v.view}\` (${v.reason})`);
  if (views.length) parts.push(`views not resolved, so not advised: ${views.join(", ")}`);
  return parts.join("; ");
}

/** What the ORM schemas read beside the migrations added, or that one stands for the database. */
function declaredScope(result: AuditResult): string[] {
  return result.sets.flatMap((r) => {
    const d = r.declared;
    if (!d) return [];
    const files = d.files.map((f) => `\`${f}\``).join(", ");
    if (d.standsAlone) return [`no migrations for ${files}: the declared ${d.orm === "prisma" ? "Prisma" : "Drizzle"} schema is taken as the database's`];
    const added: string[] = [];
    if (d.addedTables.length) added.push(`${plural(d.addedTables.length, "table")} the migrations never create (${d.addedTables.map((t) => `\`${t}\``).join(", ")}), taken from the declaration`);
    if (d.applicationOnlyForeignKeys) added.push(`${plural(d.applicationOnlyForeignKeys, "relation")} enforced by Prisma only (relationMode = "prisma")`);
    return [`declared schema ${files}${added.length ? `: ${added.join("; ")}` : ""}`];
  });
}

function countLine(findings: readonly Finding[]): string {
  if (findings.length === 0) return "no findings";
  return SEVERITIES.map((s) => `${findings.filter((f) => f.severity === s).length} ${SEVERITY_WORD[s]}`).join(", ");
}

function tldr(result: AuditResult, findings: readonly Finding[], ran: RuleRan, settledLocks = 0): string[] {
  const out: string[] = [];
  const multi = result.sets.length > 1;
  for (const severity of SEVERITIES) {
    out.push(`${SEVERITY_EMOJI[severity]} **${SEVERITY_WORD[severity]}:**`);
    const items = findings.filter((f) => f.severity === severity);
    const bullets: string[] = [];
    let shown = 0;
    for (const group of groupByRule(items)) {
      if (bullets.length >= TLDR_LIMIT) break;
      const first = group[0];
      const place = `${codeSpan(formatLocation(first.location))}${multi && first.set ? `, ${safeMarkdown(first.set)}` : ""}`;
      if (group.length >= TLDR_GROUP_AT) {
        bullets.push(`- **${ruleTitle(first.rule)}** ×${group.length}: ${safeLine(first.message)} (${place}, and ${group.length - 1} more like it)`);
      } else {
        for (const f of group) {
          const at = `${codeSpan(formatLocation(f.location))}${multi && f.set ? `, ${safeMarkdown(f.set)}` : ""}`;
          bullets.push(`- ${safeLine(f.message)} (${at})`);
        }
      }
      shown += group.length;
    }
    if (shown < items.length) bullets.push(`- …and ${items.length - shown} more (see Detailed Findings)`);
    if (severity === "routine" && settledLocks > 0) {
      bullets.push(`- ${plural(settledLocks, "lock finding")} on migrations that already ran, grouped under Lock Findings on Migrations That Already Ran`);
    }
    if (severity === "noted") bullets.push(...positiveNotes(result, findings, ran));
    out.push(...(bullets.length ? bullets : ["- None"]), "");
  }
  return out;
}

/** Findings grouped by rule, groups in the order their first finding appears. */
function groupByRule(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const group = groups.get(f.rule);
    if (group) group.push(f);
    else groups.set(f.rule, [f]);
  }
  return [...groups.values()];
}

/** What went well, in the NOTED voice of a hand-written audit; each claim is computed, never assumed. */
function positiveNotes(result: AuditResult, findings: readonly Finding[], ran: RuleRan): string[] {
  const notes: string[] = [];
  const multi = result.sets.length > 1;
  for (const setResult of result.sets) {
    const where = multi ? ` in \`${setResult.set.name}\`` : "";
    const setFindings = findingsOfSet(findings, setResult, multi);
    const coverage = setResult.schema.tables.flatMap((t) => t.foreignKeys.filter((fk) => fk.enforced !== false).map((fk) => foreignKeyCoverage(setResult.schema, t, fk, setFindings)));
    const covered = coverage.filter((c) => c.index).length;
    if (coverage.length > 0) {
      notes.push(
        covered === coverage.length
          ? `Every foreign key${where} (${coverage.length}) has an index on the referencing side`
          : `${covered} of ${coverage.length} foreign keys${where} have an index on the referencing side`,
      );
    }
    const indexCount = setResult.schema.tables.reduce((n, t) => n + tableIndexes(t).length, 0);
    if (ran("redundant-index") && indexCount > 0 && !setFindings.some((f) => f.rule === "redundant-index")) {
      notes.push(`No duplicate or redundant indexes among the ${plural(indexCount, "index", "indexes")}${where}`);
    }
    if (setResult.patterns.length > 0) {
      if (ran("n-plus-one") && !setFindings.some((f) => f.rule === "n-plus-one")) {
        notes.push(`No N+1 query patterns detected in ${plural(setResult.patterns.length, "query pattern")}${where}`);
      }
      if (ran("query-index") && !setFindings.some((f) => f.rule === "query-index")) {
        notes.push(`No query pattern${where} lacks an index that serves it`);
      }
    }
  }
  return notes.map((n) => `- ${n}`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function findingsOfSet(findings: readonly Finding[], setResult: SetResult, multi: boolean): Finding[] {
  return multi ? findings.filter((f) => f.set === setResult.set.name) : [...findings];
}

// ---------------------------------------------------------------- index analysis

function qualified(table: Table): string {
  return `${table.schema}.${table.name}`;
}

/** Whether a pattern's table (as the code names it) is this table. */
function patternIsOn(pattern: AccessPattern, table: Table): boolean {
  const named = pattern.table.replace(/"/g, "");
  return named.includes(".") ? named === qualified(table) : named === table.name;
}

function keyText(index: Index): string {
  return index.keys.map((k) => k.column ?? k.expression ?? "?").join(", ");
}

/** Repository text in a table cell: escaped (src/report/escape.ts), `|` included. */
function cell(text: string): string {
  return safeCell(text);
}

/** Repository text on one line, escaped. */
function safeLine(text: string): string {
  return safeMarkdown(oneLine(text));
}

function severityCell(severity: Severity): string {
  return `${SEVERITY_EMOJI[severity]} ${SEVERITY_WORD[severity]}`;
}

/** The tables worth a row each: sized by config, missing an index for a query, or the busiest. */
function highVolumeTables(setResult: SetResult, findings: readonly Finding[], config: AuditConfig): Table[] {
  const tables = setResult.schema.tables;
  const rows = (t: Table) => tableHint(config, t.schema, t.name)?.rows;
  const patternCount = new Map(tables.map((t) => [t, setResult.patterns.filter((p) => patternIsOn(p, t)).length]));
  const chosen = new Set<Table>(tables.filter((t) => rows(t) !== undefined || findings.some((f) => f.rule === "query-index" && f.table === qualified(t))));
  const busiest = tables
    .filter((t) => !chosen.has(t) && (patternCount.get(t)! > 0 || t.indexes.some((i) => i.constraint !== "primary")))
    .sort((a, b) => patternCount.get(b)! - patternCount.get(a)! || tableIndexes(b).length - tableIndexes(a).length);
  for (const t of busiest) {
    if (chosen.size >= HIGH_VOLUME_TABLES) break;
    chosen.add(t);
  }
  return [...chosen].sort(
    (a, b) =>
      (rows(b) ?? -1) - (rows(a) ?? -1) ||
      patternCount.get(b)! - patternCount.get(a)! ||
      tables.indexOf(a) - tables.indexOf(b),
  );
}

function indexAnalysis(setResult: SetResult, findings: readonly Finding[], config: AuditConfig, suffix: string): string[] {
  const out: string[] = [`## Index Analysis${suffix}`, ""];
  const tables = setResult.schema.tables;
  if (tables.length === 0) {
    out.push("The migrations create no tables.", "");
    return out;
  }

  const chosen = highVolumeTables(setResult, findings, config);
  out.push("### High-Volume Tables", "");
  if (chosen.length === 0) {
    out.push("No table has a size hint, a query pattern or a secondary index yet.", "");
  } else {
    out.push("| Table | Column(s) | Has Index? | Status |", "|-------|-----------|------------|--------|");
    for (const table of chosen) {
      const name = cell(displayTableOf(table.schema, table.name));
      for (const index of table.indexes) {
        if (index.constraint === "primary") continue;
        const redundant = findings.find((f) => f.rule === "redundant-index" && f.table === qualified(table) && (f.key !== undefined ? f.key === index.name : f.message.startsWith(`Index ${index.name} `)));
        const kind = index.where ? " (partial)" : index.unique ? " (unique)" : "";
        const status = redundant
          ? `${severityCell(redundant.severity)} - ${cell(redundant.message)}`
          : index.where
            ? `Good - ${codeSpan(`WHERE ${oneLine(index.where)}`).replace(/\|/g, "\\|")}`
            : "Good";
        out.push(`| ${name} | ${cell(keyText(index))} | ✅ ${cell(index.name)}${kind} | ${status} |`);
      }
      for (const f of findings.filter((x) => x.rule === "query-index" && x.table === qualified(table))) {
        const missing = f.severity === "important" ? "❌ **MISSING**" : "❌ Missing";
        out.push(`| ${name} | ${cell(f.columns.join(", "))} | ${missing} | ${severityCell(f.severity)} - ${cell(usedBy(f, setResult.patterns))} |`);
      }
      if (table.indexes.every((i) => i.constraint === "primary") && !findings.some((f) => f.rule === "query-index" && f.table === qualified(table))) {
        out.push(`| ${name} | — | ${table.primaryKey ? "primary key only" : "no index"} | |`);
      }
    }
    out.push("");
  }

  out.push("### Foreign Key Index Coverage", "");
  const coverage = tables.flatMap((t) => t.foreignKeys.map((fk) => foreignKeyCoverage(setResult.schema, t, fk, findings)));
  if (coverage.length === 0) {
    out.push("No foreign keys in this schema.", "");
    return out;
  }
  out.push("| Table | FK Column | Has Index? | Notes |", "|-------|-----------|------------|-------|");
  for (const c of coverage) {
    const name = cell(displayTableOf(c.table.schema, c.table.name));
    const columns = cell(c.fk.columns.join(", "));
    if (c.fk.enforced === false) {
      out.push(`| ${name} | ${columns} | ➖ | NOT ENFORCED: PostgreSQL runs no check on deletes or updates of ${cell(displayTableOf(c.fk.references.schema, c.fk.references.table))} |`);
    } else if (c.index) {
      out.push(`| ${name} | ${columns} | ✅ | ${cell(coverageNote(c.index))} |`);
    } else if (c.finding) {
      out.push(`| ${name} | ${columns} | ❌ | ${severityCell(c.finding.severity)} - ${cell(c.finding.message)} |`);
    } else {
      out.push(`| ${name} | ${columns} | ❌ | No index leads with these columns (finding suppressed or rule off) |`);
    }
  }
  const enforced = coverage.filter((c) => c.fk.enforced !== false);
  const covered = enforced.filter((c) => c.index).length;
  const unenforced = coverage.length - enforced.length;
  out.push("", `**${covered} of ${enforced.length}** foreign keys have an index on the referencing side${unenforced ? ` (and ${unenforced} NOT ENFORCED, which need none)` : ""}.`, "");
  return out;
}

/** "Used by getCallByReconnectToken()" when the finding's query sits in a named function; else the message. */
function usedBy(finding: Finding, patterns: readonly AccessPattern[]): string {
  const pattern = patterns.find((p) => p.location.file === finding.location.file && p.location.line === finding.location.line);
  if (pattern?.functionName) return `Used by ${pattern.functionName}() (${formatLocation(finding.location)})`;
  return finding.message;
}

// ---------------------------------------------------------------- scaling (size hints)

function scaling(setResult: SetResult, findings: readonly Finding[], config: AuditConfig, suffix: string): string[] {
  const hinted = setResult.schema.tables.filter((t) => tableHint(config, t.schema, t.name)?.rows !== undefined);
  if (hinted.length === 0) return [];
  const out = [`## Scaling${suffix}`, "", "Expected sizes come from `tables:` in the configuration.", ""];
  out.push("| Table | Expected rows | Append-only | Indexes | Advice |", "|-------|---------------|-------------|---------|--------|");
  const byRows = [...hinted].sort((a, b) => tableHint(config, b.schema, b.name)!.rows! - tableHint(config, a.schema, a.name)!.rows!);
  for (const table of byRows) {
    const hint = tableHint(config, table.schema, table.name)!;
    const advice = findings
      .filter((f) => f.table === qualified(table) && (f.rule === "partition-candidate" || f.rule === "unbounded-query"))
      .map((f) => `${severityCell(f.severity)} - ${cell(f.message)}`);
    out.push(
      `| ${cell(displayTableOf(table.schema, table.name))} | ${hint.rows!.toLocaleString("en-US")} | ${hint.appendOnly ? "yes" : "no"} | ${tableIndexes(table).length} | ${advice.join("<br>") || "—"} |`,
    );
  }
  out.push("");
  return out;
}

// ---------------------------------------------------------------- query patterns

function predicateText(p: ColumnPredicate): string {
  const left = p.column ?? p.expression ?? "?";
  const value = p.value ?? (p.sentAs === "param" ? "$" : "?");
  switch (p.op) {
    case "eq":
      return `${left} = ${value}`;
    case "in":
      return `${left} IN (…)`;
    case "range":
      return `${left} ${p.operator ?? "<"} ${value}`;
    case "is-null":
      return `${left} IS NULL`;
    case "is-not-null":
      return `${left} IS NOT NULL`;
    case "like-prefix":
      return `${left} ${p.caseInsensitive ? "ILIKE" : "LIKE"} 'prefix%'`;
    case "like":
      return `${left} ${p.caseInsensitive ? "ILIKE" : "LIKE"} …`;
    case "neq":
      return `${left} <> ${value}`;
    case "bool":
      return p.value === "false" ? `NOT ${left}` : left;
    case "contains":
      return `${left} @> …`;
    case "similar":
      return `${left} ${p.operator ?? "%"} ${value}`;
    default:
      return `${left} …`;
  }
}

export function describePattern(pattern: AccessPattern): string {
  const parts = [`${pattern.kind} ${pattern.table}`];
  if (pattern.predicates.length > 0) parts.push(`where ${pattern.predicates.map(predicateText).join(" and ")}${pattern.hasOr ? " (with OR)" : ""}`);
  if (pattern.orderBy.length > 0) {
    parts.push(`order by ${pattern.orderBy.map(orderTermText).join(", ")}`);
  }
  if (pattern.joins.length > 0) parts.push(`joins ${pattern.joins.map((j) => j.table).join(", ")}`);
  if (pattern.limited) parts.push("limited");
  return parts.join(" ");
}

function queryPatternAnalysis(setResult: SetResult, findings: readonly Finding[], suffix: string, ran: RuleRan): string[] {
  const patterns = setResult.patterns;
  if (patterns.length === 0) return [];
  const out = [`## Query Pattern Analysis${suffix}`, ""];
  const bySource = new Map<string, number>();
  for (const p of patterns) bySource.set(p.source, (bySource.get(p.source) ?? 0) + 1);
  const sources = [...bySource].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => `${s}: ${n}`).join(", ");
  const files = new Set(patterns.map((p) => p.location.file)).size;
  out.push(`Read **${patterns.length}** ${patterns.length === 1 ? "query pattern" : "query patterns"} from ${plural(files, "file")} (${sources}).`, "");

  const loops = findings.filter((f) => f.rule === "n-plus-one");
  if (!ran("n-plus-one")) {
    out.push("### N+1 Query Assessment: not run", "", "The `n-plus-one` rule is off or not available, so loops were not checked.", "");
  } else if (loops.length === 0) {
    const inLoop = patterns.filter((p) => p.inLoop).length;
    out.push("### N+1 Query Assessment: ✅ PASS", "");
    out.push(inLoop === 0 ? "No query is issued inside a loop body." : `No N+1 findings (${plural(inLoop, "query", "queries")} inside loops were judged set-based or suppressed).`);
    const joined = patterns.filter((p) => p.joins.length > 0).length;
    if (joined > 0) out.push("", `${plural(joined, "query", "queries")} fetch related rows in the same round trip (embedded relations or joins).`);
    out.push("");
  } else {
    out.push("### N+1 Query Assessment: ❌ FAIL", "");
    for (const f of loops) out.push(`- ${codeSpan(formatLocation(f.location))} — ${safeLine(f.message)}`);
    out.push("");
  }

  out.push("### Expensive Query Patterns Identified", "");
  const expensive = findings.filter((f) => QUERY_RULES.has(f.rule));
  if (expensive.length === 0) {
    const checked = [...QUERY_RULES].filter(ran);
    out.push(checked.length ? `None found by ${checked.map((id) => `\`${id}\``).join(", ")}.` : "Not assessed: no query rule ran.", "");
    return out;
  }
  out.push("| Location | Query Pattern | Risk Level | Notes |", "|----------|---------------|------------|-------|");
  for (const f of [...expensive].sort((a, b) => compareLocations(a.location, b.location))) {
    const pattern = patterns.find((p) => p.location.file === f.location.file && p.location.line === f.location.line);
    const description = pattern ? describePattern(pattern) : `${f.rule} on ${displayTable(f.table)}`;
    const fn = pattern?.functionName ? ` in ${pattern.functionName}()` : "";
    out.push(`| ${cell(`${formatLocation(f.location)}${fn}`)} | ${cell(description)} | ${severityCell(f.severity)} | ${cell(f.message)} |`);
  }
  out.push("");
  return out;
}

// ---------------------------------------------------------------- detailed findings

function findingTitle(f: Finding): string {
  const table = f.table ? displayTable(f.table) : "";
  const columns = f.columns.length === 1 ? `.${f.columns[0]}` : f.columns.length > 1 ? `(${f.columns.join(", ")})` : "";
  const subject = table ? `${table}${columns}` : formatLocation(f.location);
  return `${f.title ?? ruleTitle(f.rule)}: ${subject}`;
}

function sqlBlock(sql: string): string[] {
  return ["```sql", sql.trim(), "```"];
}

function detailedFindings(findings: readonly Finding[], multi: boolean): string[] {
  const out = ["## Detailed Findings", ""];
  if (findings.length === 0) {
    out.push("No findings.", "");
    return out;
  }
  findings.slice(0, DETAILED_LIMIT).forEach((f, i) => {
    out.push(`### ${i + 1}. ${findingTitle(f)}`, "");
    out.push(`**Severity:** ${severityCell(f.severity)}  `);
    out.push(`**Rule:** [\`${f.rule}\`](${docsUrl(f.rule)})  `);
    out.push(`**Location:** \`${formatLocation(f.location)}\`${multi && f.set ? ` (migration set \`${f.set}\`)` : ""}`, "");
    // The order every renderer shares: the short line, the SQL, then the reasoning and call sites collapsed.
    out.push(shortLine(f), "");
    if (f.fix) out.push("**Recommended Fix:**", ...declaredFixLines(f.fix), ...sqlBlock(f.fix.sql), "");
    const evidence = evidenceBlock(f);
    if (evidence) out.push(evidence, "");
    out.push("<details>", "<summary>Why, and where it is used</summary>", "");
    out.push(safeMarkdown(f.message.trim()), "");
    if (f.details) out.push(f.details.trim(), "");
    if (f.related && f.related.length > 0) {
      out.push(`**Also concerns:** ${f.related.map((l) => `\`${formatLocation(l)}\``).join(", ")}`, "");
    }
    out.push("</details>", "");
  });
  if (findings.length > DETAILED_LIMIT) {
    out.push(`…and ${findings.length - DETAILED_LIMIT} more findings; \`--format json\` lists every one.`, "");
  }
  return out;
}

// ---------------------------------------------------------------- recommended actions

/** Rules whose fix rewrites an existing statement rather than adding one, so it stays out of the combined script. */
const REWRITE_RULES = new Set(["index-locking", "constraint-validation", "table-rewrite", "lock-timeout", "parse-error"]);
/** Only index builds and drops go into the combined script; table restructuring needs its own plan. */
const INDEX_STATEMENT = /^\s*(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)\b/i;

function onlyIndexChanges(sql: string): boolean {
  const statements = sql.split(";").filter((part) => part.trim() !== "");
  return statements.length > 0 && statements.every((statement) => INDEX_STATEMENT.test(statement));
}

function recommendedActions(findings: readonly Finding[]): string[] {
  const out = ["## Recommended Actions", ""];
  const important = findings.filter((f) => f.severity === "important" && f.rule !== "parse-error");
  const routine = findings.filter((f) => f.severity === "routine" && f.rule !== "parse-error");
  if (important.length === 0 && routine.length === 0) {
    out.push("Nothing to do: no IMPORTANT or ROUTINE findings.", "");
    return out;
  }
  let n = 0;
  const section = (heading: string, items: readonly Finding[]) => {
    if (items.length === 0) return;
    out.push(heading, "");
    for (const f of items.slice(0, DETAILED_LIMIT)) {
      n++;
      out.push(`${n}. **${findingTitle(f)}** (${codeSpan(formatLocation(f.location))}) — ${safeLine(f.message)}`);
      // Indented under the list item, every line of it, so the fence stays inside the item.
      if (f.fix) out.push("", ...sqlBlock(f.fix.sql).flatMap((l) => l.split("\n")).map((l) => (l ? `   ${l}` : l)));
      out.push("");
    }
    if (items.length > DETAILED_LIMIT) out.push(`…and ${items.length - DETAILED_LIMIT} more.`, "");
  };
  section("### Immediate (IMPORTANT)", important);
  section("### Medium-Term (ROUTINE)", routine);

  const script = [
    ...new Set(
      [...important, ...routine]
        .filter((f) => f.fix && !REWRITE_RULES.has(f.rule) && onlyIndexChanges(f.fix.sql))
        .map((f) => f.fix!.sql.trim()),
    ),
  ];
  if (script.length > 1) {
    const concurrently = script.some((sql) => /\bCONCURRENTLY\b/i.test(sql));
    const note = concurrently ? "As one migration (`CONCURRENTLY` builds cannot run inside a transaction block, so run it outside one):" : "As one migration:";
    out.push("### All index changes in one script", "", note, "");
    out.push("```sql", ...script.map((s) => (s.endsWith(";") ? s : `${s};`)), "```", "");
  }
  return out;
}

// ---------------------------------------------------------------- problems and appendix

function inputProblems(result: AuditResult): string[] {
  if (result.problems.length === 0) return [];
  const out = ["## Input Problems", "", "These inputs could not be read or parsed; the rest of the repository was audited without them.", ""];
  const sorted = [...result.problems].sort((a, b) => compareLocations(a.location, b.location));
  for (const p of sorted) out.push(`- ${codeSpan(`${p.location.file}:${p.location.line}:${p.location.column}`)} — ${safeLine(p.message)}`);
  out.push("");
  return out;
}

function appendix(setResult: SetResult, suffix: string): string[] {
  const tables = setResult.schema.tables;
  const counts = tables.map((t) => ({ t, indexes: tableIndexes(t) }));
  const total = counts.reduce((n, c) => n + c.indexes.length, 0);
  const constraintBacked = counts.reduce((n, c) => n + c.indexes.filter((i) => i.constraint).length, 0);
  const out = [`## Appendix: Existing Index Summary${suffix}`, ""];
  out.push(
    `Total indexes identified in migrations: **${total}**${constraintBacked ? ` (${constraintBacked} of them back PRIMARY KEY, UNIQUE or EXCLUDE constraints)` : ""}`,
    "",
  );
  const top = counts
    .filter((c) => c.indexes.length > 0)
    .sort((a, b) => b.indexes.length - a.indexes.length || tables.indexOf(a.t) - tables.indexOf(b.t))
    .slice(0, 10);
  if (top.length > 0) {
    out.push(`**By Table (top ${Math.min(10, top.length)}):**`);
    for (const c of top) out.push(`- ${displayTableOf(c.t.schema, c.t.name)}: ${plural(c.indexes.length, "index", "indexes")}`);
    out.push("");
  }
  out.push(`${plural(tables.length, "table")} from ${plural(setResult.set.files.length, "migration file")} (${plural(setResult.statements.length, "statement")}).`, "");
  return out;
}
