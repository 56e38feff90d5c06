// An IN on a column of a few states beside an ORDER BY ... LIMIT: keyed before the order column, the IN splits
// the index into one ordered run per value, and the planner sorts every match. Planner verdicts are PGlite's
// (PostgreSQL 18) on a populated, analyzed table under a generic plan, as a client binding parameters gets.
import { describe, expect, it } from "vitest";
import type { ColumnPredicate } from "../../src/core/types.js";
import { pattern } from "../advisor/support/schema.js";
import { pgliteForFile } from "../support/pglite.js";
import { queryIndexOn } from "./helpers.js";

const db = pgliteForFile();

const RUNS = `CREATE TABLE job_runs (
  id bigint PRIMARY KEY, pipeline_id bigint NOT NULL, step_id bigint NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, log text
);
CREATE INDEX job_runs_pipeline_id_idx ON job_runs (pipeline_id);
`;
// 200,000 runs of 20 pipelines, 2 steps each: 5,000 runs per (pipeline, step), spread over four states.
const ROWS = `INSERT INTO job_runs SELECT g, g % 20, g % 40, (ARRAY['SUCCEEDED', 'FAILED', 'RUNNING', 'CANCELLED'])[1 + (g / 40) % 4], now() - g * interval '1 minute', repeat('x', 40) FROM generate_series(1, 200000) g;`;

const param = (column: string, op: ColumnPredicate["op"] = "eq"): ColumnPredicate => ({ column, op, sentAs: "param" });

async function genericPlan(query: string, index: string): Promise<string> {
  const pg = db();
  await pg.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await pg.exec(RUNS + ROWS);
  for (const statement of index.split("\n")) await pg.exec(statement);
  await pg.exec("ANALYZE; SET plan_cache_mode = force_generic_plan;");
  await pg.exec(`PREPARE q(bigint, bigint, text[]) AS ${query}`);
  try {
    const res = await pg.query<{ "QUERY PLAN": unknown }>("EXPLAIN (FORMAT JSON) EXECUTE q(3, 3, ARRAY['FAILED', 'SUCCEEDED'])");
    return JSON.stringify(res.rows[0]["QUERY PLAN"]);
  } finally {
    await pg.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

describe("an IN on a status beside ORDER BY ... LIMIT", () => {
  it("the key leaves the IN column out, so the index returns the rows in ORDER BY order and the planner does not sort", async () => {
    const latest = pattern("job_runs", [param("pipeline_id"), param("step_id"), param("status", "in")], {
      source: "prisma",
      limited: true,
      orderBy: [{ column: "created_at", descending: true, nullsFirst: null }],
    });
    const [finding] = queryIndexOn(RUNS, [latest]);
    expect(finding.columns).toEqual(["pipeline_id", "step_id", "created_at"]);
    expect(finding.details).toContain("status IN (...) matches several values: keyed before the ORDER BY column");
    const query = "SELECT id FROM job_runs WHERE pipeline_id = $1 AND step_id = $2 AND status = ANY ($3) ORDER BY created_at DESC LIMIT 20";
    const planned = await genericPlan(query, finding.fix!.sql);
    expect(planned).toContain(`"Index Name":"idx_job_runs_pipeline_id_step_id_created_at"`);
    expect(planned).not.toContain(`"Node Type":"Sort"`);
    // The IN keyed before the order column: the scan's output is not in created_at order, and the plan sorts it.
    const keyed = await genericPlan(query, "CREATE INDEX job_runs_keyed ON job_runs (pipeline_id, step_id, status, created_at DESC);");
    expect(keyed).toMatch(/"Node Type":"Sort".*"Index Name":"job_runs_keyed"/);
  }, 120_000);

  it("an IN on ids stays in the key: it is what bounds the scan", () => {
    const byIds = pattern("job_runs", [param("step_id", "in")], { source: "prisma", limited: true, orderBy: [{ column: "created_at", descending: true, nullsFirst: null }] });
    expect(queryIndexOn(RUNS, [byIds]).map((f) => f.columns)).toEqual([["step_id", "created_at"]]);
  });
});
