// The planner as the oracle for extraction: an index built from exactly the columns a pattern
// reports for a table must be one the planner picks for that table, with those columns as index
// conditions. A predicate put on the wrong table, a wrong column, or a lost alias fails here.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern } from "../../src/core/types.js";
import { patternsFromStatement } from "../../src/queries/sql-patterns.js";
import { initParser, parseSql } from "../../src/sql/parser.js";

let db: PGlite;

beforeAll(async () => {
  await initParser();
  db = await PGlite.create();
  await db.exec(`
    CREATE TABLE agent_profiles (id uuid PRIMARY KEY, active boolean NOT NULL, display_name text);
    CREATE TABLE call_logs (id uuid PRIMARY KEY, organization_id uuid NOT NULL, agent_id uuid, status text NOT NULL, created_at timestamptz NOT NULL, ended_at timestamptz);
    CREATE TABLE call_notes (id uuid PRIMARY KEY, call_id uuid NOT NULL, kind text NOT NULL);
    CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL);
    CREATE TABLE invites (id uuid PRIMARY KEY, expires_at timestamptz NOT NULL, accepted_at timestamptz);
    SET enable_seqscan = off;
    SET plan_cache_mode = force_generic_plan;
  `);
}, 60_000);

afterAll(async () => {
  await db?.close();
});

function patternsOf(sql: string): AccessPattern[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  return patternsFromStatement(outcome.statements[0].ast, { source: "sql-file", location: { file: "q.sql", line: 1, column: 1 } });
}

/** The index the pattern asks for: equality keys, then one range key; literal tests as the partial predicate. */
function indexFor(pattern: AccessPattern, name: string): { sql: string; keys: string[] } {
  const key = (p: AccessPattern["predicates"][number]) => (p.column !== undefined ? p.column : `(${p.expression})`);
  const equality = pattern.predicates.filter((p) => (p.op === "eq" || p.op === "in") && p.sentAs === "param").map(key);
  const range = pattern.predicates.find((p) => p.op === "range");
  const keys = [...new Set([...equality, ...(range ? [key(range)] : [])])];
  const literal = pattern.predicates.filter((p) => p.sentAs === "literal" && (p.op === "is-null" || p.op === "is-not-null" || p.op === "bool"));
  const where = literal.map((p) => (p.op === "is-null" ? `${key(p)} IS NULL` : p.op === "is-not-null" ? `${key(p)} IS NOT NULL` : p.value === "false" ? `NOT ${key(p)}` : key(p)));
  return { sql: `CREATE INDEX ${name} ON ${pattern.table} (${keys.join(", ")})${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`, keys };
}

/** Every index scan node of a plan: index name and condition text. */
function indexScans(plan: any, out: Array<{ index: string; cond: string }> = []): Array<{ index: string; cond: string }> {
  if (plan["Index Name"]) out.push({ index: plan["Index Name"], cond: plan["Index Cond"] ?? "" });
  for (const child of plan.Plans ?? []) indexScans(child, out);
  return out;
}

/** Builds the pattern's index, checks its keys are the expected ones, and returns the scans that use it. */
async function plannerUses(sql: string, params: number, table: string, expected: string): Promise<{ index: string; cond: string }[]> {
  const [pattern] = patternsOf(sql).filter((p) => p.table === table);
  expect(pattern, `a pattern on ${table}`).toBeDefined();
  const name = `probe_${table}`;
  const index = indexFor(pattern, name);
  expect(index.sql).toBe(`CREATE INDEX ${name} ON ${table} ${expected}`);
  await db.exec(`DROP INDEX IF EXISTS ${name}; ${index.sql};`);
  try {
    await db.exec(`DEALLOCATE ALL; PREPARE probe AS ${sql};`);
    const args = Array.from({ length: params }, () => "NULL").join(", ");
    const result = await db.query<{ "QUERY PLAN": any }>(`EXPLAIN (FORMAT JSON) EXECUTE probe${params ? `(${args})` : ""}`);
    const scans = indexScans(result.rows[0]["QUERY PLAN"][0].Plan).filter((s) => s.index === name);
    for (const key of index.keys.filter((k) => !k.startsWith("("))) expect(scans.map((s) => s.cond).join(" ")).toContain(key);
    return scans;
  } finally {
    await db.exec(`DROP INDEX IF EXISTS ${name};`);
  }
}

describe("extracted patterns against the planner (generic plans)", () => {
  it("an aliased join: each side's own filters and join column", async () => {
    const sql = `SELECT c.id FROM call_logs AS c JOIN agent_profiles a ON a.id = c.agent_id
                 WHERE c.organization_id = $1 AND c.status = ANY($2) AND c.created_at BETWEEN $3 AND $4 AND c.ended_at IS NOT NULL`;
    expect(await plannerUses(sql, 4, "call_logs", "(organization_id, status, created_at) WHERE ended_at IS NOT NULL")).toHaveLength(1);
    const joined = `SELECT c.id FROM call_logs c JOIN agent_profiles a ON a.id = c.agent_id WHERE c.organization_id = $1 AND NOT a.active`;
    expect(await plannerUses(joined, 1, "agent_profiles", "(id) WHERE NOT active")).toHaveLength(1);
  });

  it("a comparison written value-first", async () => {
    expect(await plannerUses("SELECT * FROM call_logs WHERE $1 < created_at AND organization_id = $2", 2, "call_logs", "(organization_id, created_at)")).toHaveLength(1);
  });

  it("an expression on a column becomes an expression key", async () => {
    expect(await plannerUses("SELECT * FROM users WHERE lower(email) = $1", 1, "users", "((lower(email)))")).toHaveLength(1);
  });

  it("the example application's cron clean-up: now() bounds the range key, IS NULL proves the partial predicate", async () => {
    expect(await plannerUses("DELETE FROM invites WHERE expires_at < now() AND accepted_at IS NULL", 0, "invites", "(expires_at) WHERE accepted_at IS NULL")).toHaveLength(1);
  });

  it("a correlated subquery: the outer column is the inner table's parameter", async () => {
    // A scalar subquery in the select list runs once per outer row (a SubPlan), keyed by c.id.
    const sql = "SELECT c.id, (SELECT count(*) FROM call_notes n WHERE n.call_id = c.id AND n.kind = $2) FROM call_logs c WHERE c.organization_id = $1";
    expect(await plannerUses(sql, 2, "call_notes", "(call_id, kind)")).toHaveLength(1);
  });
});
