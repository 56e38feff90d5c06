// Schema models and access patterns for the advisor tests: the real parser and the real schema replay.
import type { AccessPattern, ColumnPredicate, OrderTerm, Schema, Statement, Table } from "../../../src/core/types.js";
import { replaySchema } from "../../../src/schema/replay.js";
import { lineIndex, parseSql } from "../../../src/sql/parser.js";
import { findTable } from "../../../src/schema/lookup.js";

export function schemaFrom(sql: string, file = "migrations/001_init.sql"): Schema {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(`fixture SQL does not parse: ${outcome.message}`);
  const at = lineIndex(sql);
  const statements: Statement[] = outcome.statements.map((s) => {
    const lead = /^\s*/.exec(sql.slice(s.start))![0].length;
    return {
      ast: s.ast,
      sql: sql.slice(s.start + lead, s.end),
      location: { file, ...at(s.start + lead) },
      fileOrder: 0,
      inExplicitTransaction: false,
      inTransaction: false,
      suppressions: [],
    };
  });
  return replaySchema(statements);
}

export function tableFrom(sql: string, name: string): Table {
  const table = findTable(schemaFrom(sql), name);
  if (!table) throw new Error(`no table ${name} in fixture`);
  return table;
}

let line = 1;

export function pattern(table: string, predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}): AccessPattern {
  return {
    table,
    kind: "select",
    predicates,
    hasOr: false,
    orderBy: [] as OrderTerm[],
    limited: false,
    joins: [],
    inLoop: false,
    source: "supabase-js",
    location: { file: "src/app.ts", line: line++, column: 5 },
    suppressions: [],
    ...extra,
  };
}

export const eq = (column: string, value: string, sentAs: "param" | "literal" = "param"): ColumnPredicate => ({ column, op: "eq", value, sentAs });
export const isNull = (column: string): ColumnPredicate => ({ column, op: "is-null", sentAs: "literal" });
export const range = (column: string, operator: "<" | "<=" | ">" | ">=", value: string, sentAs: "param" | "literal" = "param"): ColumnPredicate => ({
  column,
  op: "range",
  operator,
  value,
  sentAs,
});

/** The example application's call_logs table with its indexes, including the hand-written reconnect index. */
export const CALL_LOGS_SQL = `
CREATE TABLE organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE sites (id uuid PRIMARY KEY, organization_id uuid REFERENCES organizations(id));
CREATE TABLE call_logs (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  site_id uuid REFERENCES sites(id),
  pool_id uuid,
  agent_id uuid,
  status text NOT NULL DEFAULT 'pending',
  reconnect_token text,
  reconnect_eligible boolean DEFAULT false,
  ended_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  payload jsonb
);
CREATE INDEX idx_call_logs_org_created ON call_logs (organization_id, created_at DESC);
CREATE INDEX idx_call_logs_org_status_created ON call_logs (organization_id, status, created_at DESC);
CREATE INDEX idx_call_logs_pool_created ON call_logs (pool_id, created_at DESC) WHERE pool_id IS NOT NULL;
`;

export const HANDWRITTEN_RECONNECT_INDEX = `CREATE INDEX IF NOT EXISTS idx_call_logs_reconnect_token ON call_logs (reconnect_token) WHERE reconnect_token IS NOT NULL AND status = 'accepted' AND reconnect_eligible = true;`;

/** getCallByReconnectToken(): .eq(reconnect_token).eq(status).eq(reconnect_eligible).is(ended_at, null).single() */
export function reconnectPattern(): AccessPattern {
  return pattern(
    "call_logs",
    [
      eq("reconnect_token", "'tok'"),
      eq("status", "'accepted'"),
      { column: "reconnect_eligible", op: "eq", value: "true", sentAs: "param" },
      isNull("ended_at"),
    ],
    { limited: true, functionName: "getCallByReconnectToken", location: { file: "apps/server/src/lib/call-logger.ts", line: 413, column: 22 } },
  );
}
