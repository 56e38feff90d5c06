// Builds rule inputs from SQL text the way the pipeline does: the real parser, the real schema replay.
import { configSchema } from "../../src/config/schema.js";
import { resolveConfig, type AuditConfig } from "../../src/core/config.js";
import type { AccessPattern, Framework, InputProblem, MigrationSet, Statement, Suppression } from "../../src/core/types.js";
import type { FindingDraft } from "../../src/core/types.js";
import { queryIndex } from "../../src/rules/query-index.js";
import type { Rule, RuleContext } from "../../src/rules/rule.js";
import type { RuleInput } from "../../src/rules/run.js";
import { replaySchema } from "../../src/schema/replay.js";
import { lineIndex, parseSql } from "../../src/sql/parser.js";
import { schemaFrom } from "../advisor/support/schema.js";
import { statementsOf } from "../queries/helpers.js";

export interface FixtureFile {
  path: string;
  sql: string;
}

export interface FixtureOptions {
  framework?: Framework;
  /** The framework wraps each file in a transaction. */
  runsInTransaction?: boolean;
  /** How the tool sends a file it does not wrap (MigrationFile.sends). */
  sends?: "script" | "split";
  name?: string;
  /** Query patterns the rules see beside the migrations. */
  patterns?: AccessPattern[];
}

const SUPPRESSION = /--\s*index-audit-ignore\s+([A-Za-z0-9_-]+)\s*(?::\s*(.*))?$/;

function suppressionsNear(file: string, lines: string[], line: number): Suppression[] {
  const found: Suppression[] = [];
  for (const at of [line - 1, line]) {
    const match = SUPPRESSION.exec(lines[at - 1] ?? "");
    if (match) found.push({ rule: match[1], reason: match[2] ?? "", location: { file, line: at, column: 1 } });
  }
  return found;
}

/** Parses each file into Statements (explicit BEGIN/COMMIT tracked); unparseable files become problems. */
export function buildInput(files: FixtureFile[], options: FixtureOptions = {}): RuleInput {
  const set: MigrationSet = {
    name: options.name ?? "migrations",
    framework: options.framework ?? "plain",
    root: "migrations",
    files: files.map((f, order) => ({ path: f.path, order, runsInTransaction: options.runsInTransaction ?? false, ...(options.sends ? { sends: options.sends } : {}) })),
  };
  const statements: Statement[] = [];
  const problems: InputProblem[] = [];
  files.forEach((file, fileOrder) => {
    const outcome = parseSql(file.sql);
    const at = lineIndex(file.sql);
    if (!outcome.ok) {
      const position = at(outcome.offset ?? 0);
      problems.push({ message: `${file.path}:${position.line}: ${outcome.message}`, location: { file: file.path, ...position } });
      return;
    }
    const lines = file.sql.split("\n");
    let explicit = false;
    for (const parsed of outcome.statements) {
      const kind = parsed.ast.TransactionStmt?.kind;
      if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") {
        explicit = true;
        continue;
      }
      if (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") {
        explicit = false;
        continue;
      }
      const position = at(parsed.start);
      statements.push({
        ast: parsed.ast,
        sql: file.sql.slice(parsed.start, parsed.end),
        location: { file: file.path, ...position },
        fileOrder,
        inExplicitTransaction: explicit,
        inTransaction: explicit || (options.runsInTransaction ?? false),
        suppressions: suppressionsNear(file.path, lines, position.line),
      });
    }
  });
  return { set, statements, schema: replaySchema(statements), patterns: options.patterns ?? [], problems };
}

export function config(file: unknown = {}): AuditConfig {
  return resolveConfig(configSchema.parse(file));
}

export function contextOf(input: RuleInput, cfg: AuditConfig = config()): RuleContext {
  return { ...input, config: cfg };
}

/** Runs one rule over SQL files. */
export function check(rule: Rule, files: FixtureFile[] | string, options: FixtureOptions & { config?: unknown } = {}) {
  const list = typeof files === "string" ? [{ path: "migrations/001_init.sql", sql: files }] : files;
  return rule.check(contextOf(buildInput(list, options), config(options.config ?? {})));
}

/** A migration set of two files: `base` in m/001_init.sql, then `sql` in `second`. */
export function afterBase(base: string, sql: string, second = "m/002_change.sql"): FixtureFile[] {
  return [
    { path: "m/001_init.sql", sql: base },
    { path: second, sql },
  ];
}

/** The query-index rule over one plain migration file `sql` (the real parser and replay) and `patterns`. */
export function queryIndexOn(sql: string, patterns: AccessPattern[], config: unknown = {}): FindingDraft[] {
  return queryIndex.check({
    set: { name: "migrations", framework: "plain", root: "migrations", files: [] },
    statements: statementsOf("migrations/0001.sql", sql),
    schema: schemaFrom(sql),
    patterns,
    problems: [],
    config: resolveConfig(configSchema.parse(config)),
  });
}
