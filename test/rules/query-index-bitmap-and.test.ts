// Two single-column indexes the planner combines: with `(team_id)` and `(user_id)` each indexed, a query by
// both reads the rows of the pair through a BitmapAnd of the two indexes (nodeBitmapAnd.c), and only the
// ORDER BY is left to a sort. The query is partly served: extending one index is NOTED unless something
// shows one key's rows growing without bound, the message names both indexes, and neither is dropped.
// Planner verdicts are PGlite's (PostgreSQL 18) under a generic plan, as a client binding parameters gets.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { pattern } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn as ruleOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());


const param = (column: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param" });
const desc = (column: string): OrderTerm => ({ column, descending: true, nullsFirst: null });

const CONVERSATIONS = `CREATE TABLE conversations (
  id bigint PRIMARY KEY, team_id bigint NOT NULL, member_id bigint NOT NULL, title text, created_at timestamptz NOT NULL
);
CREATE INDEX conversations_team_id_idx ON conversations (team_id);
CREATE INDEX conversations_member_id_idx ON conversations (member_id);
`;
const ROWS = "INSERT INTO conversations SELECT g, g % 40, g % 3000, 't', now() - g * interval '1 minute' FROM generate_series(1, 120000) g;";
const QUERY = "SELECT * FROM conversations WHERE team_id = $1 AND member_id = $2 ORDER BY created_at DESC LIMIT 50";
const latest = () => pattern("conversations", [param("team_id"), param("member_id")], { source: "prisma", orderBy: [desc("created_at")], limited: true, functionName: "listConversations" });

async function genericPlan(setup: string, query: string, fix?: string): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
  await db.exec(setup);
  for (const statement of fix?.split("\n") ?? []) await db.exec(statement);
  await db.exec("ANALYZE;");
  await db.exec(`PREPARE q(bigint, bigint) AS ${query}`);
  try {
    const res = await db.query<{ "QUERY PLAN": unknown }>("EXPLAIN (FORMAT JSON) EXECUTE q(7, 2047)");
    return JSON.stringify(res.rows[0]["QUERY PLAN"]);
  } finally {
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

describe("a BitmapAnd of one index per equality column", () => {
  it("the planner ANDs both indexes and sorts the matches: the finding names both, is NOTED, and drops neither", async () => {
    const plan = await genericPlan(CONVERSATIONS + ROWS, QUERY);
    expect(plan).toContain('"Node Type":"BitmapAnd"');
    expect(plan).toContain("conversations_team_id_idx");
    expect(plan).toContain("conversations_member_id_idx");
    expect(plan).toContain('"Node Type":"Sort"');

    const findings = ruleOn(CONVERSATIONS, [latest()]);
    expect(findings.map((f) => [f.severity, f.columns])).toEqual([["noted", ["team_id", "member_id", "created_at"]]]);
    expect(findings[0].message).toContain("BitmapAnd");
    expect(findings[0].message).toContain("conversations_team_id_idx");
    expect(findings[0].message).toContain("conversations_member_id_idx");
    expect(findings[0].message).not.toContain("on every row");
    expect(findings[0].fix!.sql).not.toContain("DROP INDEX");

    // The extended index reads the pair's latest rows in order: no sort.
    const fixed = await genericPlan(CONVERSATIONS + ROWS, QUERY, findings[0].fix!.sql);
    expect(fixed).toContain("idx_conversations_team_id_member_id_created_at");
    expect(fixed).not.toContain('"Node Type":"Sort"');
  });

  it("growth evidence (a size hint) makes it ROUTINE", () => {
    const findings = ruleOn(CONVERSATIONS, [latest()], { tables: { conversations: { rows: 5_000_000 } } });
    expect(findings.map((f) => f.severity)).toEqual(["routine"]);
    expect(findings[0].message).toContain("BitmapAnd");
  });

  it("with one column indexed only, the other is checked on every row it reads", () => {
    const single = CONVERSATIONS.replace("CREATE INDEX conversations_member_id_idx ON conversations (member_id);\n", "");
    const findings = ruleOn(single, [latest()]);
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain("checks member_id on every row it reads");
    expect(findings[0].message).not.toContain("BitmapAnd");
  });
});
