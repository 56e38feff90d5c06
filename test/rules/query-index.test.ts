// The query-index rule over a replayed schema and access patterns as the extractors produce them.
import { beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { resolveConfig } from "../../src/core/config.js";
import type { AccessPattern } from "../../src/core/types.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { queryIndex } from "../../src/rules/query-index.js";
import type { RuleContext } from "../../src/rules/rule.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { CALL_LOGS_SQL, eq, isNull, pattern, range, reconnectPattern, schemaFrom } from "../advisor/support/schema.js";

beforeAll(async () => {
  await initParser();
});

function run(sql: string, patterns: AccessPattern[], config: unknown = {}) {
  const context: RuleContext = {
    set: { name: "supabase/migrations", framework: "supabase", root: "supabase/migrations", files: [] },
    statements: [],
    schema: schemaFrom(sql),
    patterns,
    problems: [],
    config: resolveConfig(configSchema.parse(config)),
  };
  return queryIndex.check(context);
}

const at = (file: string, line: number) => ({ file, line, column: 5 });

describe("query-index", () => {
  it("names a call site outside any named function by its file and line, once, in the message and in the call-site list", () => {
    const lookup = { ...pattern("call_logs", [eq("reconnect_token", "$1")]), location: at("apps/server/src/routes/calls.ts", 31) };
    const [f] = run(CALL_LOGS_SQL, [lookup]);
    expect(f.message).toMatch(/^The query at `routes\/calls\.ts:31` filters `call_logs` by reconnect_token and no index serves it: add /);
    expect(f.details).toContain("\n- apps/server/src/routes/calls.ts:31: select where reconnect_token = $n");
    // Two queries of one function: the function is the subject, singular.
    const twice = [31, 40].map((line) => ({ ...pattern("call_logs", [eq("reconnect_token", "$1")]), location: at("apps/server/src/routes/calls.ts", line), functionName: "resume" }));
    expect(run(CALL_LOGS_SQL, twice)[0].message).toMatch(/^`resume\(\)` filters `call_logs` by reconnect_token/);
  });

  it("reports the example application's reconnect lookup with the index that serves it, at the first call site", () => {
    const second = { ...reconnectPattern(), location: at("apps/server/src/socket.ts", 88), functionName: "resumeCall" };
    // The code logs every call and never edits the row (an append-only shape): the table grows.
    const logged = { ...pattern("call_logs", []), kind: "insert" as const, location: at("apps/server/src/lib/call-logger.ts", 40) };
    const findings = run(CALL_LOGS_SQL, [second, reconnectPattern(), logged]);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.rule).toBe("query-index");
    expect(f.table).toBe("public.call_logs");
    expect(f.columns).toEqual(["reconnect_token"]);
    expect(f.location).toEqual({ file: "apps/server/src/lib/call-logger.ts", line: 413, column: 22 });
    expect(f.related).toEqual([at("apps/server/src/socket.ts", 88)]);
    expect(f.message).toContain("`getCallByReconnectToken()`");
    expect(f.message).toContain("`resumeCall()`");
    expect(f.message).toContain("`call_logs`");
    expect(f.message).toContain("reconnect_token");
    expect(f.fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_reconnect_token ON call_logs (reconnect_token) WHERE ended_at IS NULL;");
    expect(parseSql(f.fix!.sql).ok).toBe(true);
    expect(f.key).toBe("reconnect_token WHERE ended_at IS NULL");
    // No size hint, but a single-row lookup on a column no index has, on a table the code keeps adding to.
    expect(f.severity).toBe("important");
    expect(f.details).toContain("reconnect_token alone finds the row");
    expect(f.details).toContain("WHERE ended_at IS NULL");
  });

  it("a query only a one-off backfill or a data migration in code makes is NOTED, saying why; the same query on a request path is not", () => {
    const logged = { ...pattern("call_logs", []), kind: "insert" as const, location: at("apps/server/src/lib/call-logger.ts", 40) };
    const backfill = { ...reconnectPattern(), location: at("worker/src/backgroundMigrations/backfillReconnectTokens.ts", 12), functionName: "run" };
    const [oneOff] = run(CALL_LOGS_SQL, [backfill, logged]);
    expect(oneOff.severity).toBe("noted");
    expect(oneOff.details).toContain("one-off data migration");
    const script = { ...reconnectPattern(), location: at("scripts/backfill-tokens.ts", 3) };
    expect(run(CALL_LOGS_SQL, [script, logged])[0].details).toContain("script run by hand");
    // On a request path too: the index serves requests, so the usual severity applies.
    const [served] = run(CALL_LOGS_SQL, [backfill, reconnectPattern(), logged]);
    expect(served.severity).toBe("important");
  });

  it("a query in a function cached across requests (\"use cache\", unstable_cache) is NOTED, saying why; an uncached call site keeps the usual severity", () => {
    const code = [
      'import { cacheLife, unstable_cache } from "next/cache";',
      'import { supabase } from "./db";',
      "export async function resumeToken(token: string) {",
      '  "use cache";',
      '  cacheLife("days");',
      '  return supabase.from("call_logs").select("*").eq("reconnect_token", token).is("ended_at", null).maybeSingle();',
      "}",
      "export const cachedResume = unstable_cache(async (token: string) =>",
      '  supabase.from("call_logs").select("*").eq("reconnect_token", token).is("ended_at", null).maybeSingle(), ["resume"], { revalidate: 3600 });',
      "export async function liveResume(token: string) {",
      '  return supabase.from("call_logs").select("*").eq("reconnect_token", token).is("ended_at", null).maybeSingle();',
      "}",
    ].join("\n");
    const { patterns } = extractFromCodeFile("apps/web/src/lib/resume.ts", code);
    expect(patterns.map((p) => [p.functionName ?? null, p.cachedBy ?? null])).toEqual([
      ["resumeToken", '"use cache"'],
      [null, "unstable_cache"],
      ["liveResume", null],
    ]);
    const logged = { ...pattern("call_logs", []), kind: "insert" as const, location: at("apps/server/src/lib/call-logger.ts", 40) };
    const [cached] = run(CALL_LOGS_SQL, [patterns[0], patterns[1], logged]);
    expect(cached.severity).toBe("noted");
    expect(cached.details).toContain('`resumeToken()` caches its result across requests ("use cache"');
    const [live] = run(CALL_LOGS_SQL, [...patterns, logged]);
    expect(live.severity).not.toBe("noted");
  });

  it("an OR filter the extractor cannot split is a filter: no ORDER BY advice, and never \"no filter\"", () => {
    const search = pattern("call_logs", [], { hasOr: true, orderBy: [{ column: "created_at", descending: true, nullsFirst: null }], limited: true });
    expect(run(CALL_LOGS_SQL, [search])).toEqual([]);
  });

  it("gives no advice on the platform's auth and storage tables", () => {
    const sql = "CREATE SCHEMA auth;\nCREATE TABLE auth.users (id uuid PRIMARY KEY, email text);\n";
    const byEmail = { ...pattern("users", [eq("email", "$1")], { limited: true }), relation: { schema: "auth", name: "users" } };
    expect(run(sql, [byEmail])).toEqual([]);
    expect(run(sql.replaceAll("auth.users", "public.users"), [pattern("users", [eq("email", "$1")], { limited: true })])).toHaveLength(1);
  });

  it("a single-row lookup is ROUTINE when nothing shows the table growing (no size hint, no insert path)", () => {
    const [f] = run(CALL_LOGS_SQL, [reconnectPattern()]);
    expect(f.severity).toBe("routine");
    const [hinted] = run(CALL_LOGS_SQL, [reconnectPattern()], { tables: { call_logs: { "append-only": true } } });
    expect(hinted.severity).toBe("important");
    // The details say why, right after the plan's cost.
    expect(hinted.details!.split("\n\n")[1]).toMatch(/^IMPORTANT because call_logs is append-only \(size hint\), and a lookup by reconnect_token that wants a few rows reads the whole table instead \(.+:\d+\)\.$/);
    expect(f.details).not.toContain("IMPORTANT because");
    const [large] = run(CALL_LOGS_SQL, [reconnectPattern()], { tables: { call_logs: { rows: 10_000_000 } } });
    expect(large.details).toContain("IMPORTANT because call_logs is expected to hold 10,000,000 rows (size hint).");
  });

  it("does not let an index on a weak column pass for one on the token that finds the row", () => {
    const sql = CALL_LOGS_SQL + "CREATE INDEX idx_call_logs_status ON call_logs (status);";
    const [f] = run(sql, [reconnectPattern()], { tables: { call_logs: { rows: 10_000_000 } } });
    expect(f.severity).toBe("important");
    expect(f.message).toContain("idx_call_logs_status, searches by status, not by reconnect_token");
    expect(f.fix?.sql).toContain("ON call_logs (reconnect_token) WHERE ended_at IS NULL");
    // While a query the status index serves, but only in part, gets the extended index: NOTED with no
    // evidence that one status's rows grow without bound, ROUTINE with a size hint that says so.
    const byStatus = pattern("call_logs", [eq("status", "$1"), isNull("ended_at")], { limited: true });
    const [partly] = run(sql, [byStatus]);
    expect(partly.severity).toBe("noted");
    expect(partly.message).toContain("idx_call_logs_status finds the rows by status only and checks ended_at on every row it reads.");
    expect(partly.details).toContain("a size hint for call_logs makes it ROUTINE");
    expect(run(sql, [byStatus], { tables: { call_logs: { "append-only": true } } })[0].severity).toBe("routine");
    expect(partly.fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_status_2 ON call_logs (status) WHERE ended_at IS NULL;");
    // And left alone once the index holds the open calls only.
    expect(run(sql + "CREATE INDEX idx_call_logs_open_status ON call_logs (status) WHERE ended_at IS NULL;", [byStatus])).toEqual([]);
  });

  it("mentions a parameter-blocked partial index only when it would otherwise serve the query", () => {
    const unrelated = CALL_LOGS_SQL + "CREATE INDEX idx_call_logs_orphaned ON call_logs (created_at) WHERE status = 'accepted' AND ended_at IS NULL;";
    const [f] = run(unrelated, [reconnectPattern()]);
    expect(f.message).not.toContain("idx_call_logs_orphaned");
  });

  it("notes a query that another index serves today but whose own partial index works only in custom plans", () => {
    const sql =
      CALL_LOGS_SQL +
      "ALTER TABLE call_logs ADD COLUMN last_heartbeat_at timestamptz;\n" +
      "CREATE INDEX idx_call_logs_status ON call_logs (status);\n" +
      "CREATE INDEX idx_call_logs_orphaned ON call_logs (last_heartbeat_at) WHERE status = 'accepted' AND ended_at IS NULL;";
    const orphaned = pattern("call_logs", [eq("status", "'accepted'"), isNull("ended_at"), range("last_heartbeat_at", "<", "$1")], {
      orderBy: [{ column: "last_heartbeat_at", descending: false, nullsFirst: null }],
      limited: true,
      functionName: "findOrphanedCalls",
    });
    const findings = run(sql, [orphaned]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe("noted");
    expect(f.message).toBe(
      "`findOrphanedCalls()` on `call_logs` may stop using idx_call_logs_orphaned: its WHERE compares status with a constant, and the client sends that value as a parameter, so only custom plans can use it. idx_call_logs_status_last_heartbeat_at works under either plan.",
    );
    expect(f.details).toContain("fall back to idx_call_logs_status");
    expect(f.title).toBe("Partial index used only in custom plans");
    expect(f.fix?.sql).toBe(
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_status_last_heartbeat_at ON call_logs (status, last_heartbeat_at) WHERE ended_at IS NULL;",
    );
    // Sent as a literal, the WHERE is provable and there is nothing to say.
    const literal = { ...orphaned, predicates: [eq("status", "'accepted'", "literal"), isNull("ended_at"), range("last_heartbeat_at", "<", "$1")] };
    expect(run(sql, [literal])).toEqual([]);
  });

  it("never says to drop a unique partial index that works only in custom plans, and names an index that already serves under either plan", () => {
    const base = CALL_LOGS_SQL + "ALTER TABLE call_logs ADD COLUMN is_open boolean;\nCREATE INDEX idx_call_logs_agent ON call_logs (agent_id);\n";
    const byAgent = pattern("call_logs", [eq("agent_id", "$1"), eq("status", "'accepted'")], { functionName: "acceptedCallOf" });
    const unique = run(base + "CREATE UNIQUE INDEX one_accepted_call ON call_logs (agent_id) WHERE status = 'accepted';", [byAgent]);
    expect(unique).toHaveLength(1);
    expect(unique[0].details).toContain("(agent_id, status); Keep one_accepted_call: it is unique");
    expect(unique[0].details).not.toContain("can be dropped");
    // is_open has few values, so the index a generic plan needs is (agent_id): it exists, and there is nothing to add.
    const openCall = pattern("call_logs", [eq("agent_id", "$1"), eq("is_open", "true")], { functionName: "openCallOf" });
    const [served] = run(base + "CREATE UNIQUE INDEX one_open_call ON call_logs (agent_id) WHERE is_open;", [openCall]);
    expect(served.details).toContain("idx_call_logs_agent (agent_id) is the index a generic plan needs");
    expect(served.details).toContain("Keep one_open_call: it is unique");
    expect(served.message).toContain("idx_call_logs_agent serves them under either plan.");
    expect(served.fix).toBeUndefined();
  });

  it("weighs severity by the table's size hint", () => {
    const p = [pattern("call_logs", [eq("agent_id", "$1")], { limited: true })];
    expect(run(CALL_LOGS_SQL, p, { tables: { call_logs: { rows: 5_000 } } })[0].severity).toBe("routine");
    expect(run(CALL_LOGS_SQL, p, { tables: { call_logs: { rows: 10_000_000 } } })[0].severity).toBe("important");
    const many = [pattern("call_logs", [eq("agent_id", "$1")])];
    expect(run(CALL_LOGS_SQL, many)[0].severity).toBe("routine");
  });

  it("keeps the finding's id key when the call site moves", () => {
    const a = run(CALL_LOGS_SQL, [reconnectPattern()])[0];
    const moved = { ...reconnectPattern(), location: at("apps/server/src/lib/call-logger.ts", 500) };
    const b = run(CALL_LOGS_SQL, [moved])[0];
    expect(b.key).toBe(a.key);
    expect(b.columns).toEqual(a.columns);
  });

  it("says nothing about a query an index serves, an insert, or an unknown table", () => {
    const served = pattern("call_logs", [eq("organization_id", "$1")], { orderBy: [{ column: "created_at", descending: true, nullsFirst: null }], limited: true });
    const insert = pattern("call_logs", [], { kind: "insert" });
    const unknown = pattern("no_such_table", [eq("x", "$1")]);
    expect(run(CALL_LOGS_SQL, [served, insert, unknown])).toEqual([]);
  });

  it("respects an index-audit-ignore comment on the query", () => {
    const p = { ...reconnectPattern(), suppressions: [{ rule: "query-index", reason: "admin only", location: at("apps/server/src/lib/call-logger.ts", 412) }] };
    expect(run(CALL_LOGS_SQL, [p])).toEqual([]);
  });

  it("notes a query an existing index reaches only by skip scan", () => {
    const p = pattern("call_logs", [eq("status", "$1")], { functionName: "countByStatus" });
    const findings = run(CALL_LOGS_SQL, [p]);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe("noted");
    expect(findings[0].message).toContain("skip scan");
    expect(findings[0].message).toContain("idx_call_logs_org_status_created");
    expect(findings[0].fix?.sql).toContain("(status)");
  });

  it("ignores a filter that is applied on some code paths only", () => {
    const p = pattern("call_logs", [eq("organization_id", "$1"), { ...eq("agent_id", "$2"), conditional: true }]);
    expect(run(CALL_LOGS_SQL, [p])).toEqual([]);
    const only = pattern("call_logs", [{ ...eq("agent_id", "$2"), conditional: true }, isNull("ended_at")]);
    const [f] = run(CALL_LOGS_SQL, [only]);
    expect(f.columns).toEqual(["ended_at"]);
  });
});
