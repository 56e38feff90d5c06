// A LIMIT with no ORDER BY over a range bounded on one side by a parameter: under a generic plan the
// planner estimates a third of the rows for the range and reads the table, with or without the index the
// rule recommends, unless the query orders by the range column. Planner verdicts are PGlite's (PostgreSQL
// 18) on a populated, analyzed table under a generic plan, as a client binding parameters gets.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, ColumnPredicate } from "../../src/core/types.js";
import { pattern } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(() => db.close());

const DELIVERIES = `CREATE TYPE delivery_state AS ENUM ('PENDING', 'DELIVERED', 'FAILED');
CREATE TABLE webhook_deliveries (
  id bigint PRIMARY KEY, account_id bigint NOT NULL, state delivery_state NOT NULL, next_retry_at timestamptz, payload text
);
CREATE INDEX webhook_deliveries_next_retry_at_idx ON webhook_deliveries (next_retry_at);
`;
// 120,000 deliveries over 2,000 accounts. Delivering a webhook never clears next_retry_at, so 84,000 delivered
// or failed rows keep a retry time in the past; 1,200 are pending, and 240 of those are due.
const ROWS = `INSERT INTO webhook_deliveries
SELECT g, g % 2000,
  (CASE WHEN g % 100 = 1 THEN 'PENDING' WHEN g % 100 = 2 THEN 'FAILED' ELSE 'DELIVERED' END)::delivery_state,
  CASE WHEN g % 100 = 1 THEN now() + ((g / 100) % 5 - 1) * interval '1 hour' WHEN g % 10 < 3 THEN NULL ELSE now() - (g % 400) * interval '1 day' END,
  repeat('x', 80)
FROM generate_series(1, 120000) g;`;

/** The generic plan PostgreSQL picks for `query` once `setup` and `fix` have run and the tables are analyzed. */
async function genericPlan(query: string, types: string[], args: string[], fix?: string): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
  await db.exec(DELIVERIES + ROWS);
  // One statement at a time: CREATE INDEX CONCURRENTLY refuses to run inside a transaction block.
  for (const statement of fix?.split("\n") ?? []) await db.exec(statement);
  await db.exec("ANALYZE;");
  await db.exec(`PREPARE q(${types.join(", ")}) AS ${query}`);
  try {
    const res = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE q(${args.join(", ")})`);
    return JSON.stringify(res.rows[0]["QUERY PLAN"]);
  } finally {
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

const param = (column: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param" });
const dueBy = (operator: "<=" | ">=", extra: Partial<ColumnPredicate> = {}): ColumnPredicate => ({ column: "next_retry_at", op: "range", operator, sentAs: "param", ...extra });
const q = (predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}) =>
  pattern("webhook_deliveries", predicates, { source: "prisma", limited: true, functionName: "retryDue", ...extra });

describe("a LIMIT with no ORDER BY over an open-ended range sent as a parameter", () => {
  it("the fix comes with the ORDER BY the planner needs, in the client's syntax, and the planner uses the index only with it", async () => {
    const findings = queryIndexOn(DELIVERIES, [q([param("state"), dueBy("<=")])]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding.fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_deliveries_state_next_retry_at ON webhook_deliveries (state, next_retry_at);");
    expect(finding.message).toContain(
      "Add idx_webhook_deliveries_state_next_retry_at on (state, next_retry_at), and order the query by next_retry_at (`orderBy: { next_retry_at: 'asc' }`): without that ORDER BY a generic plan reads webhook_deliveries from the start",
    );
    // The reason is the range's missing lower bound, not a key's history.
    expect(finding.message).toContain("the range on next_retry_at has no lower bound");
    // The old index leads with the range column and no other query uses it: the reader is told it then serves nothing.
    expect(finding.details).toContain("webhook_deliveries_next_retry_at_idx then serves none of the queries found on webhook_deliveries");

    const asWritten = "SELECT id FROM webhook_deliveries WHERE state = $1 AND next_retry_at <= $2 LIMIT 100";
    const types = ["delivery_state", "timestamptz"];
    const args = ["'PENDING'", "now()"];
    // As written, the generic plan reads the table whether or not the new index exists...
    expect(await genericPlan(asWritten, types, args)).toMatch(/"Node Type":"Seq Scan"/);
    const withFix = await genericPlan(asWritten, types, args, finding.fix!.sql);
    expect(withFix).toMatch(/"Node Type":"Seq Scan"/);
    expect(withFix).not.toContain("idx_webhook_deliveries_state_next_retry_at");
    // ...and with the ORDER BY the finding asks for, it searches the new index by both columns.
    const ordered = await genericPlan(asWritten.replace(" LIMIT", " ORDER BY next_retry_at LIMIT"), types, args, finding.fix!.sql);
    expect(ordered).toMatch(/"Index Name":"idx_webhook_deliveries_state_next_retry_at".*"Index Cond":"\(\(state = \$1\) AND \(next_retry_at <= \$2\)\)"/);
    expect(ordered).not.toMatch(/"Node Type":"(Seq Scan|Sort)"/);
  }, 120_000);

  it("with no index at all, the ORDER BY is given in the client's syntax: supabase-js, Kysely, SQL", () => {
    const bare = DELIVERIES.replace(/CREATE INDEX.*\n/, "");
    const message = (source: AccessPattern["source"]) => queryIndexOn(bare, [q([dueBy("<=")], { source })])[0]?.message;
    expect(message("supabase-js")).toContain("order the query by next_retry_at (`.order('next_retry_at', { ascending: true })`)");
    expect(message("kysely")).toContain("(`.orderBy('next_retry_at', 'asc')`)");
    expect(message("sql-in-code")).toContain("(`ORDER BY next_retry_at`)");
  });

  it("an equality on a column of many values narrows the generic estimate enough: the index serves the query as written", async () => {
    const findings = queryIndexOn(DELIVERIES, [q([param("account_id"), dueBy("<=")])]);
    expect(findings).toHaveLength(1);
    expect(findings[0].fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_deliveries_account_id_next_retry_at ON webhook_deliveries (account_id, next_retry_at);");
    expect(findings[0].message).not.toContain("ORDER BY");
    const plan = await genericPlan("SELECT id FROM webhook_deliveries WHERE account_id = $1 AND next_retry_at <= $2 LIMIT 100", ["bigint", "timestamptz"], ["7", "now()"], findings[0].fix!.sql);
    expect(plan).toMatch(/"Index Name":"idx_webhook_deliveries_account_id_next_retry_at"/);
  }, 120_000);

  it("filters a generic plan also counts as a large share (a `<>`, an OR) keep the advice; the operator is the query's own", () => {
    const findings = queryIndexOn(DELIVERIES, [q([param("state"), { column: "state", op: "neq", sentAs: "param" }, dueBy("<=", { operator: "<" })], { hasOr: true })]);
    expect(findings[0]?.message).toContain("and order the query by next_retry_at (`orderBy: { next_retry_at: 'asc' }`)");
    expect(findings[0]?.details).toContain("a third of the rows for next_retry_at < $n");
  });

  it("no ORDER BY advice when another filter's share comes from statistics the audit does not have (IS NULL, an id)", () => {
    const advice = (p: AccessPattern) => queryIndexOn(DELIVERIES, [p]).map((f) => f.message).join("\n");
    expect(advice(q([param("state"), { column: "payload", op: "is-null", sentAs: "literal" }, dueBy("<=")]))).not.toContain("order the query");
    expect(advice(q([param("state"), param("account_id"), dueBy("<=")]))).not.toContain("order the query");
  });

  it("no ORDER BY advice for a query whose ORDER BY the advice leaves out (an OR of unknown share): the code already orders it", () => {
    const ordered = q([param("state"), dueBy("<=")], { hasOr: true, orderBy: [{ column: "id", descending: false, nullsFirst: null }] });
    const findings = queryIndexOn(DELIVERIES, [ordered]);
    expect(findings.map((f) => f.columns)).toEqual([["state", "next_retry_at"]]);
    expect(findings[0].message).not.toContain("order the query");
  });

  it("no ORDER BY advice when the query already orders, has no LIMIT, bounds the range on both sides, or compares with the clock", () => {
    const advice = (p: AccessPattern) => queryIndexOn(DELIVERIES, [p]).map((f) => f.message).join("\n");
    expect(advice(q([param("state"), dueBy("<=")], { orderBy: [{ column: "next_retry_at", descending: false, nullsFirst: null }] }))).not.toContain("order the query");
    expect(advice(q([param("state"), dueBy("<=")], { limited: false }))).not.toContain("order the query");
    expect(advice(q([param("state"), dueBy("<="), dueBy(">=")]))).not.toContain("order the query");
    // now() is folded for the estimate even in a generic plan: the planner sees the bound.
    expect(advice(q([param("state"), dueBy("<=", { sentAs: "literal", clock: "now", value: "now()" })], { source: "sql-in-code" }))).not.toContain("order the query");
  });
});
