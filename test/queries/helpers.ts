// Shared by the query tests: migration statements and a schema from SQL text, with the real parser and replay.
import { DEFAULT_CONFIG, type AuditConfig } from "../../src/core/config.js";
import type { AccessPattern, ColumnPredicate, MigrationSet, Schema, Statement } from "../../src/core/types.js";
import { replaySchema } from "../../src/schema/replay.js";
import { lineIndex, parseSql } from "../../src/sql/parser.js";

export function statementsOf(path: string, sql: string, fileOrder = 0): Statement[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(`fixture SQL does not parse: ${outcome.message}`);
  const at = lineIndex(sql);
  return outcome.statements.map((s) => {
    const lead = /^\s*/.exec(sql.slice(s.start))![0].length;
    const { line, column } = at(s.start + lead);
    return {
      ast: s.ast,
      sql: sql.slice(s.start + lead, s.end),
      location: { file: path, line, column },
      fileOrder,
      inExplicitTransaction: false,
      inTransaction: false,
      suppressions: [],
    };
  });
}

export function schemaOf(sql: string): Schema {
  return replaySchema(statementsOf("schema.sql", sql));
}

export function setOf(name: string, paths: string[]): MigrationSet {
  return { name, framework: "plain", root: name, files: paths.map((path, order) => ({ path, order, runsInTransaction: false })) };
}

export function config(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}

/** Compact form of a predicate for assertions: `column op[operator] [value] sentAs`. */
export function describePredicate(p: ColumnPredicate): string {
  const target = p.column ?? `(${p.expression})`;
  const parts = [target, `${p.op}${p.operator ?? ""}`];
  if (p.value !== undefined) parts.push(p.value);
  parts.push(p.sentAs);
  if (p.conditional) parts.push("conditional");
  if (p.caseInsensitive) parts.push("ci");
  return parts.join(" ");
}

export function predicatesOf(pattern: AccessPattern | undefined): string[] {
  if (!pattern) throw new Error("no such pattern");
  return pattern.predicates.map(describePredicate);
}

export function byFunction(patterns: AccessPattern[], name: string, table?: string): AccessPattern[] {
  return patterns.filter((p) => p.functionName === name && (table === undefined || p.table === table));
}
