// Runs every enabled rule over each migration set, then finishes the findings: configured
// severities, ignore entries, suppression comments, stable ids, one order.
import type { AuditConfig } from "../core/config.js";
import { compareFindings, fingerprint, severityRank } from "../core/findings.js";
import type { AccessPattern, Finding, FindingDraft, InputProblem, MigrationSet, Schema, Severity, Statement, Suppression } from "../core/types.js";
import { scanSql } from "../sql/parser.js";
import { ALL_RULES } from "./index.js";
import { inDeclaredForms } from "../advisor/declared-fix.js";
import { distinctIndexNames } from "../advisor/fix-names.js";
import { keepingFixParses, parseFixTexts } from "../advisor/fix-parse.js";
import { reconcileDeclaredLines, reconcileDrops, reconcileReplacements } from "../advisor/fix-conflicts.js";
import type { Rule, RuleContext } from "./rule.js";
import { isSettledMigrationFile } from "./model.js";

export interface RuleInput {
  set: MigrationSet;
  statements: Statement[];
  schema: Schema;
  patterns: AccessPattern[];
  problems: InputProblem[];
  /** Statements the verify stage saw PostgreSQL refuse (migration-fails). */
  replayFailures?: RuleContext["replayFailures"];
  /** What the code configures beside its queries (fk-index: an auth library's session strategy). */
  codeFacts?: RuleContext["codeFacts"];
}

/** `index-audit-ignore <rule>[, <rule>...]: <reason>`, the same form the migration loader reads. */
const SUPPRESSION = /index-audit-ignore\s+([A-Za-z0-9][\w-]*(?:\s*,\s*[A-Za-z0-9][\w-]*)*)\s*(?::\s*([\s\S]*?))?\s*(?:\*\/)?\s*$/;

/** Where suppressions apply: single lines (a comment covers its line and the next) and whole statements. */
class Suppressions {
  /** file -> line -> rules suppressed by a comment on that line. */
  private readonly byLine = new Map<string, Map<number, Set<string>>>();
  /** Statements and patterns that carry suppressions, with the lines they span. */
  private readonly spans: Array<{ file: string; from: number; to: number; rules: Set<string> }> = [];

  addComment(suppression: Suppression): void {
    const { file, line } = suppression.location;
    let lines = this.byLine.get(file);
    if (!lines) this.byLine.set(file, (lines = new Map()));
    let rules = lines.get(line);
    if (!rules) lines.set(line, (rules = new Set()));
    rules.add(suppression.rule);
  }

  addSpan(file: string, from: number, to: number, suppressions: Suppression[]): void {
    if (suppressions.length > 0) this.spans.push({ file, from, to, rules: new Set(suppressions.map((s) => s.rule)) });
  }

  covers(finding: FindingDraft): boolean {
    const { file, line } = finding.location;
    const lines = this.byLine.get(file);
    if (lines && (lines.get(line)?.has(finding.rule) || lines.get(line - 1)?.has(finding.rule))) return true;
    return this.spans.some((s) => s.file === file && line >= s.from && line <= s.to && s.rules.has(finding.rule));
  }
}

/** Suppression comments written inside a statement's text (e.g. above one column of a CREATE TABLE). */
function commentsInside(statement: Statement): Suppression[] {
  if (!statement.sql.includes("index-audit-ignore")) return [];
  const scanned = scanSql(statement.sql);
  if (!scanned.ok) return [];
  const first = scanned.tokens.find((t) => !t.name.includes("COMMENT"));
  const anchor = first?.start ?? 0;
  const lineOf = (offset: number): number => {
    const [from, to, sign] = offset >= anchor ? [anchor, offset, 1] : [offset, anchor, -1];
    let newlines = 0;
    for (let i = from; i < to; i++) if (statement.sql.charCodeAt(i) === 10) newlines++;
    return statement.location.line + sign * newlines;
  };
  const found: Suppression[] = [];
  for (const token of scanned.tokens) {
    if (!token.name.includes("COMMENT")) continue;
    const match = SUPPRESSION.exec(token.text);
    if (!match) continue;
    for (const rule of match[1].split(",")) {
      found.push({ rule: rule.trim(), reason: (match[2] ?? "").trim(), location: { file: statement.location.file, line: lineOf(token.start), column: 1 } });
    }
  }
  return found;
}

function lastLine(statement: Statement): number {
  const text = statement.sql.trimStart();
  let newlines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) newlines++;
  return statement.location.line + newlines;
}

function collectSuppressions(input: RuleInput): Suppressions {
  const suppressions = new Suppressions();
  for (const statement of input.statements) {
    for (const s of statement.suppressions) suppressions.addComment(s);
    for (const s of commentsInside(statement)) suppressions.addComment(s);
    // Counting a statement's lines costs a pass over its text: only worth it when it carries suppressions.
    if (statement.suppressions.length > 0) {
      suppressions.addSpan(statement.location.file, statement.location.line, lastLine(statement), statement.suppressions);
    }
  }
  for (const pattern of input.patterns) {
    for (const s of pattern.suppressions) suppressions.addComment(s);
    suppressions.addSpan(pattern.location.file, pattern.location.line, pattern.location.line, pattern.suppressions);
  }
  return suppressions;
}

function bareTable(table: string): string {
  const dot = table.indexOf(".");
  return dot === -1 ? table : table.slice(dot + 1);
}

function isIgnored(finding: FindingDraft, config: AuditConfig): boolean {
  return config.ignore.some((entry) => {
    if (entry.rule !== finding.rule) return false;
    if (entry.table !== undefined) {
      const matches = entry.table.includes(".") ? entry.table === finding.table : entry.table === bareTable(finding.table);
      if (!matches) return false;
    }
    if (entry.columns !== undefined) {
      const wanted = new Set(entry.columns);
      if (wanted.size !== new Set(finding.columns).size || !finding.columns.every((c) => wanted.has(c))) return false;
    }
    return true;
  });
}

function runOne(rule: Rule, context: RuleContext): FindingDraft[] {
  try {
    return rule.check(context);
  } catch (error) {
    // A rule bug must not cost the user the other rules' findings.
    return [
      {
        rule: rule.id,
        severity: "noted",
        table: "",
        columns: [],
        message: `The ${rule.id} rule stopped with an internal error on ${context.set.name || "this repository"}: ${(error as Error).message}`,
        location: { file: context.set.files[0]?.path ?? context.set.root ?? "", line: 1, column: 1 },
        key: "internal-error",
      },
    ];
  }
}

const NO_SET: MigrationSet = { name: "", framework: "plain", root: "", files: [] };

export function runRules(sets: RuleInput[], globalProblems: InputProblem[], config: AuditConfig, multipleSets: boolean, rules: Rule[] = ALL_RULES): Finding[] {
  // The fixes' texts are parsed once, from the rules that write them to the names given last.
  return keepingFixParses(() => findingsOf(sets, globalProblems, config, multipleSets, rules));
}

function findingsOf(sets: RuleInput[], globalProblems: InputProblem[], config: AuditConfig, multipleSets: boolean, rules: Rule[]): Finding[] {
  const inputs: RuleInput[] =
    sets.length > 0
      ? sets.map((s, i) => (i === 0 ? { ...s, problems: [...globalProblems, ...s.problems] } : s))
      : [{ set: NO_SET, statements: [], schema: { tables: [] }, patterns: [], problems: globalProblems }];

  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const context: RuleContext = { ...input, config };
    const suppressions = collectSuppressions(input);
    for (const rule of rules) {
      const configured = config.rules[rule.id];
      if (configured === "off") continue;
      // Index fixes on tables an ORM declares are given as the declaration's change (schema.prisma, pgTable).
      for (const draft of inDeclaredForms(runOne(rule, context), input.schema, input.set.framework)) {
        const finding: FindingDraft = outOfSettledFiles({ ...draft, severity: configured ?? draft.severity }, input.set);
        if (isIgnored(finding, config) || suppressions.covers(finding)) continue;
        const setName = multipleSets ? input.set.name : undefined;
        const id = fingerprint(finding, setName);
        if (seen.has(id)) continue;
        seen.add(id);
        findings.push({ ...finding, id, ...(setName !== undefined ? { set: setName } : {}) });
      }
    }
  }
  withholdUnparseableFixes(findings);
  // Fixes of different rules that replace one statement become one (fix-conflicts.ts).
  const statementsAt = new Map(inputs.flatMap((i) => i.statements.map((s) => [`${s.location.file}\u0000${s.location.line}`, s] as const)));
  reconcileReplacements(findings, (file, line) => statementsAt.get(`${file}\u0000${line}`));
  reconcileDrops(findings);
  const merged = mergeSameIndex(findings);
  // Declared-schema edits that replace one line (a new Drizzle config callback) become one.
  reconcileDeclaredLines(merged);
  const schemaOf = new Map(inputs.map((i) => [multipleSets ? i.set.name : undefined, i.schema]));
  distinctIndexNames(merged, (f) => schemaOf.get(f.set));
  return merged.sort(compareFindings);
}

/**
 * A fix that would be written after a statement of a migration that has already run goes into a new
 * migration instead: editing an applied file changes nothing in the database and breaks the tool's
 * record of it (Prisma's checksums, Flyway's validate).
 */
function outOfSettledFiles(finding: FindingDraft, set: MigrationSet): FindingDraft {
  const fix = finding.fix;
  if (!fix || (fix.placement ?? "after") !== "after" || !isSettledMigrationFile(set, finding.location.file)) return finding;
  return { ...finding, fix: { ...fix, placement: "separate" } };
}

// ---------------------------------------------------------------- one recommendation per index

/** The index a fix creates: table, plain key columns in order, and the WHERE's AST, or null when it is not one CREATE INDEX. */
function createdIndex(parsed: Array<Record<string, any>> | null | undefined): { table: string; keys: Array<string | null>; where: Record<string, any> | null } | null {
  if (!parsed || parsed.length !== 1) return null;
  const stmt = parsed[0].IndexStmt;
  if (!stmt?.relation?.relname || (stmt.accessMethod && stmt.accessMethod !== "btree")) return null;
  const keys = (stmt.indexParams ?? []).map((p: Record<string, any>) => (p.IndexElem?.name as string | undefined) ?? null);
  return { table: `${stmt.relation.schemaname ?? "public"}.${stmt.relation.relname}`, keys, where: stmt.whereClause ?? null };
}

/** True when `fk = $n` on these columns proves the predicate: none, or only IS NOT NULL on them. */
function foreignKeyLookupProves(where: Record<string, any> | null, columns: string[]): boolean {
  if (!where) return true;
  const terms: Record<string, any>[] = where.BoolExpr?.boolop === "AND_EXPR" ? where.BoolExpr.args : [where];
  return terms.every((t) => {
    const fields = t.NullTest?.nulltesttype === "IS_NOT_NULL" ? t.NullTest.arg?.ColumnRef?.fields : undefined;
    return fields !== undefined && columns.includes(fields[fields.length - 1]?.String?.sval);
  });
}

/**
 * When fk-index and query-index recommend the same index (same table and set; the query's index leads
 * with the foreign key's columns, in any order, under a predicate the RI lookup proves), the two become
 * one finding: the query-index finding keeps its id, its fix and its call sites, takes the higher
 * severity, gives both reasons, and lists the fk-index finding under `merged`.
 */
function mergeSameIndex(findings: Finding[]): Finding[] {
  const foreignKeys = findings.filter((f) => f.rule === "fk-index" && f.fix);
  if (foreignKeys.length === 0) return findings;
  const folded = new Set<Finding>();
  // Grouped by table, each group in the findings' order: a query is compared with its own table's keys only.
  const foreignKeysOf = new Map<string | undefined, Finding[]>();
  for (const fk of foreignKeys) {
    const list = foreignKeysOf.get(fk.table);
    if (list) list.push(fk);
    else foreignKeysOf.set(fk.table, [fk]);
  }
  const queries = findings.filter((f) => f.rule === "query-index" && f.fix && foreignKeysOf.has(f.table));
  // The fixes parsed in one call to the parser.
  const parsedFixes = parseFixTexts(queries.map((q) => q.fix!.sql));
  for (const query of queries) {
    const created = createdIndex(parsedFixes.get(query.fix!.sql));
    if (!created || created.table !== query.table) continue;
    for (const fk of foreignKeysOf.get(query.table)!) {
      if (folded.has(fk) || fk.table !== query.table || fk.set !== query.set) continue;
      const leading = created.keys.slice(0, fk.columns.length);
      if (leading.length !== fk.columns.length || !fk.columns.every((c) => leading.includes(c))) continue;
      if (!foreignKeyLookupProves(created.where, fk.columns)) continue;
      folded.add(fk);
      const queryWas = query.severity;
      const raised = severityRank(fk.severity) < severityRank(query.severity);
      if (raised) query.severity = fk.severity;
      query.title = `${ruleTitle(query)} that also covers a foreign key`;
      // When the query alone would be NOTED, the foreign key is what the index is for: it is the headline.
      query.message = raised && queryWas === "noted"
        ? `Foreign key ${fkLabel(fk)} has no index, and one index serves it and a query: ${query.message}`
        : `${query.message} The same index covers foreign key ${fkLabel(fk)}.`;
      if (query.summary) query.summary = `${query.summary.replace(/\.$/, "")}; it also covers foreign key ${fkLabel(fk)}.`;
      // Each part's own severity label must not read as the finding's: the merged finding has one severity.
      query.details = [
        raised ? `${query.severity.toUpperCase()} because of the foreign key this index also covers (${fkLabel(fk)}, below); the query alone would be ${queryWas.toUpperCase()}.` : undefined,
        query.details && raised ? ownSeverityAsPart(query.details, queryWas, "the query alone would be") : query.details,
        `Foreign key ${fkLabel(fk)}: ${ownSeverityAsPart(fk.details ?? fk.message, fk.severity === query.severity ? null : fk.severity, "on its own it would be")}`,
      ]
        .filter(Boolean)
        .join("\n\n");
      query.related = [...(query.related ?? []), fk.location];
      query.merged = [...(query.merged ?? []), { rule: fk.rule, id: fk.id, columns: fk.columns, ...(fk.key !== undefined ? { key: fk.key } : {}), message: fk.message }];
    }
  }
  return folded.size === 0 ? findings : findings.filter((f) => !folded.has(f));
}

/**
 * Text written for a finding of severity `own`, now one part of a merged finding of another severity:
 * its label (`NOTED: ...`, `ROUTINE because ...`) is rewritten to say it is that part's own weight.
 */
function ownSeverityAsPart(text: string, own: Severity | null, phrase: string): string {
  if (!own) return text;
  const label = own.toUpperCase();
  const lead = phrase.charAt(0).toUpperCase() + phrase.slice(1);
  return text.replace(new RegExp(`(^|\\s)${label}(:| because)`), (_, before: string, after: string) => `${before}${lead} ${label}${after}`);
}

function ruleTitle(f: Finding): string {
  return f.title ?? "Missing index";
}

/** `call_logs(site_id) → sites(id)`: the fk-index finding's key names the referenced side. */
function fkLabel(fk: Finding): string {
  const table = fk.table.startsWith("public.") ? fk.table.slice("public.".length) : fk.table;
  const referenced = fk.key?.startsWith("public.") ? fk.key.slice("public.".length) : fk.key;
  return `${table}(${fk.columns.join(", ")})${referenced ? ` → ${referenced}` : ""}`;
}

/**
 * The contract promises that every fix parses: a fix the parser refuses, or that holds no statement, is
 * withheld. The texts are parsed together (fix-parse.ts), and kept for the steps after this one.
 */
function withholdUnparseableFixes(findings: Finding[]): void {
  const withFix = findings.filter((f) => f.fix);
  if (withFix.length === 0) return;
  const parsed = parseFixTexts(withFix.map((f) => f.fix!.sql));
  for (const finding of withFix) if (!parsed.get(finding.fix!.sql)?.length) delete finding.fix;
}
