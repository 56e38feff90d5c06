import type { AuditConfig } from "../core/config.js";
import type { AccessPattern, CodeFacts, FindingDraft, InputProblem, MigrationSet, Schema, Severity, Statement } from "../core/types.js";

/** Everything a rule may look at: pure data, already read and parsed. */
export interface RuleContext {
  set: MigrationSet;
  /** Every statement of the set, in apply order (DO-block contents included). */
  statements: Statement[];
  /** The schema after every statement is replayed. */
  schema: Schema;
  /** Queries read from code, SQL files and database functions, resolved against this set. */
  patterns: AccessPattern[];
  /** Input of this set that could not be read or parsed (plus repository-wide problems for the first set). */
  problems: InputProblem[];
  config: AuditConfig;
  /** Statements PostgreSQL refused when the verify stage replayed the set (absent without `--verify`). */
  replayFailures?: ReplayFailureInput[];
  /** What the code configures beside its queries (an auth library's session strategy); absent when not read. */
  codeFacts?: CodeFacts;
}

/** A refused statement as the verify stage hands it to the migration-fails rule. */
export interface ReplayFailureInput {
  statement: Statement;
  message: string;
  /** Schema-qualified table the statement is on, when it names one. */
  table?: string;
}

export interface Rule {
  id: string;
  /** One line, shown in docs and `--help`. */
  description: string;
  defaultSeverity: Severity;
  check(context: RuleContext): FindingDraft[];
}

/**
 * Where a rule's page is read: `<docsBase>/<rule>` when a deployment serves the pages itself (the app's
 * `/docs/rules/<rule>`, under its public URL), the project's repository otherwise.
 */
export function docsUrl(ruleId: string, docsBase?: string): string {
  return docsBase ? `${docsBase.replace(/\/+$/, "")}/${ruleId}` : `https://github.com/index-audit/index-audit/blob/main/docs/rules/${ruleId}.md`;
}
