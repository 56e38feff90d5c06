// A small AuditResult built by hand, shaped like the example application, for renderer tests that
// must not depend on the rest of the pipeline.
import type { AuditResult } from "../../src/audit.js";
import type { AccessPattern, Finding, ForeignKey, Index, Location, Table } from "../../src/core/types.js";

const MIGRATION = "supabase/migrations/20240101000000_init.sql";
const PERF = "supabase/migrations/20251204100000_add_performance_indexes.sql";

function at(file: string, line: number, column = 1): Location {
  return { file, line, column };
}

function index(name: string, columns: string[], extra: Partial<Index> = {}): Index {
  return {
    name,
    keys: columns.map((column) => ({ column, descending: false, nullsFirst: false })),
    include: [],
    unique: false,
    method: "btree",
    where: null,
    whereAst: null,
    constraint: null,
    location: at(PERF, 10),
    ...extra,
  };
}

function fk(name: string, columns: string[], table: string, line: number): ForeignKey {
  return {
    name,
    columns,
    references: { schema: "public", table, columns: ["id"] },
    onDelete: "no action",
    onUpdate: "no action",
    notValid: false,
    location: at(MIGRATION, line),
  };
}

function table(name: string, line: number, indexes: Index[], foreignKeys: ForeignKey[], columns: string[]): Table {
  return {
    schema: "public",
    name,
    columns: ["id", ...columns].map((c) => ({ name: c, type: c === "id" ? "uuid" : "text", nullable: c !== "id", location: at(MIGRATION, line) })),
    primaryKey: { name: `${name}_pkey`, columns: ["id"] },
    indexes: [index(`${name}_pkey`, ["id"], { unique: true, constraint: "primary", location: at(MIGRATION, line) }), ...indexes],
    foreignKeys,
    checkConstraints: [],
    partitionBy: null,
    partitionOf: null,
    createdInFileOrder: 0,
    location: at(MIGRATION, line),
  };
}

export const organizations = table("organizations", 1, [], [], ["name"]);
export const users = table(
  "users",
  10,
  [index("idx_users_organization_id", ["organization_id"])],
  [fk("users_organization_id_fkey", ["organization_id"], "organizations", 12)],
  ["organization_id", "email"],
);
export const agentProfiles = table(
  "agent_profiles",
  20,
  [index("agent_profiles_user_id_key", ["user_id"], { unique: true, constraint: "unique", location: at(MIGRATION, 23) })],
  [fk("agent_profiles_user_id_fkey", ["user_id"], "users", 23)],
  ["user_id"],
);
export const callLogs = table(
  "call_logs",
  30,
  [
    index("idx_call_logs_org_created", ["organization_id", "created_at"]),
    index("idx_call_logs_pool_created", ["pool_id", "created_at"], { where: "pool_id IS NOT NULL" }),
  ],
  [fk("call_logs_organization_id_fkey", ["organization_id"], "organizations", 33), fk("call_logs_site_id_fkey", ["site_id"], "sites", 34)],
  ["organization_id", "site_id", "pool_id", "reconnect_token", "status", "created_at"],
);

function finding(partial: Omit<Finding, "id"> & { id?: string }): Finding {
  return { id: partial.id ?? `${partial.rule}:${partial.table}:${partial.columns.join(",")}`, ...partial };
}

export const siteFinding = finding({
  rule: "fk-index",
  severity: "routine",
  table: "public.call_logs",
  columns: ["site_id"],
  message: "Foreign key call_logs(site_id) → sites(id) has no index on call_logs(site_id).",
  location: at(MIGRATION, 34, 3),
  fix: { sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_site_id ON public.call_logs (site_id);" },
});

export const reconnectFinding = finding({
  rule: "query-index",
  severity: "important",
  table: "public.call_logs",
  columns: ["reconnect_token"],
  message: "No index serves the lookup of call_logs by reconnect_token.",
  details: "Full table scan for call recovery lookups.",
  location: at("apps/server/src/lib/call-logger.ts", 413, 7),
  related: [at("apps/server/src/lib/call-logger.ts", 502, 7)],
  fix: {
    sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_reconnect_token ON public.call_logs (reconnect_token) WHERE reconnect_token IS NOT NULL;",
  },
});

export const parseFinding = finding({
  rule: "parse-error",
  severity: "important",
  table: "",
  columns: [],
  message: 'syntax error at or near "TABEL"',
  location: at("supabase/migrations/20240301000000_broken.sql", 4, 8),
});

export const reconnectPattern: AccessPattern = {
  table: "call_logs",
  kind: "select",
  predicates: [
    { column: "reconnect_token", op: "eq", sentAs: "param" },
    { column: "status", op: "eq", value: "'accepted'", sentAs: "param" },
    { column: "ended_at", op: "is-null", sentAs: "literal" },
  ],
  hasOr: false,
  orderBy: [],
  limited: true,
  joins: [],
  inLoop: false,
  source: "supabase-js",
  functionName: "getCallByReconnectToken",
  location: at("apps/server/src/lib/call-logger.ts", 413, 7),
  suppressions: [],
};

export function exampleLikeResult(findings: Finding[] = [siteFinding, reconnectFinding, parseFinding]): AuditResult {
  return {
    findings,
    skipped: [],
    sets: [
      {
        set: {
          name: "supabase/migrations",
          framework: "supabase",
          root: "supabase/migrations",
          files: [
            { path: MIGRATION, order: 0, runsInTransaction: true },
            { path: PERF, order: 1, runsInTransaction: true },
          ],
        },
        statements: [],
        schema: { tables: [organizations, users, agentProfiles, callLogs] },
        patterns: [reconnectPattern],
      },
    ],
    problems: [{ message: 'syntax error at or near "TABEL"', location: parseFinding.location }],
    stats: { files: 5, migrationFiles: 3, statements: 12, codeFiles: 1, patterns: 1 },
  };
}
