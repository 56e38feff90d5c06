// Rows fetched from the database and then aggregated in code inside date or number range loops.
import { beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { loadConfig } from "../../src/config/load.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { appSideAggregation } from "../../src/rules/app-side-aggregation.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { fsSource } from "../../src/source/fs-source.js";
import { initParser } from "../../src/sql/parser.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

const SCHEMA = `
  CREATE TABLE agent_sessions (id uuid PRIMARY KEY, organization_id uuid NOT NULL, agent_id uuid NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz);
  CREATE INDEX agent_sessions_org_started ON agent_sessions (organization_id, started_at);
`;

function findings(code: string) {
  const result = extractFromCodeFile("src/stats.ts", code);
  expect(result.problems).toEqual([]);
  return appSideAggregation.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns: result.patterns, problems: [], config: config() });
}

const FETCH = `const { data } = await supabase.from("agent_sessions").select("agent_id, started_at, ended_at").eq("organization_id", org).gte("started_at", from).lte("started_at", to);`;

describe("app-side-aggregation", () => {
  it("reports sessions walked for every hour of every day, naming the query and the loop nest", () => {
    const code = `
export async function hourlyCoverage(supabase, org: string, from: string, to: string) {
  ${FETCH}
  const sessions = data ?? [];
  const out = [];
  const day = new Date(from);
  while (day <= new Date(to)) {
    for (let hour = 0; hour < 24; hour++) {
      let online = 0;
      for (const s of sessions) if (s.started_at <= hour) online++;
      out.push(online);
    }
    day.setDate(day.getDate() + 1);
  }
  return out;
}`;
    const [f, ...rest] = findings(code);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: "app-side-aggregation", severity: "important", table: "public.agent_sessions", columns: ["started_at"], location: { file: "src/stats.ts", line: 3 } });
    expect(f.message).toBe(
      "`hourlyCoverage()` fetches `agent_sessions` (line 3) and walks every row in the for...of loop at line 10, once per step of the while loop at line 7 → for loop at line 8: " +
        "rows × range steps of work in application code. Aggregate in SQL instead: `GROUP BY date_trunc('hour', started_at)`, over `generate_series(start, end, interval '1 hour')` where empty buckets or spans count.",
    );
    expect(f.related!.map((l) => l.line)).toEqual([7, 8, 10]);
    expect(f.fix).toBeUndefined();
  });

  it.each([
    ["filter() inside a day loop", "for (let d = 0; d < days; d++) out.push(data!.filter((s) => s.day === d).length);"],
    ["a date helper's days, rows mapped first", "const spans = (data ?? []).map(toSpan);\n  for (const day of eachDayOfInterval({ start, end })) spans.forEach((s) => count(s, day));"],
    ["rows walked by index inside an hour loop", "const rows = data || [];\n  for (let h = 0; h < 24; h++) { for (let i = 0; i < rows.length; i++) tally(rows[i], h); }"],
  ])("reports %s", (_name, loops) => {
    const code = `export async function stats(supabase, org, from, to, days, start, end) {\n  ${FETCH}\n  const out = [];\n  ${loops}\n  return out;\n}`;
    expect(findings(code).map((f) => `${f.rule} ${f.location.line}`)).toEqual(["app-side-aggregation 2"]);
  });

  it("reads rows that SQL in code returns", () => {
    const code = `export async function daily(pool, org, days) {
  const result = await pool.query("SELECT created_at FROM agent_sessions WHERE organization_id = $1 AND started_at >= now() - interval '30 days'", [org]);
  for (let d = 0; d < days; d++) for (const row of result.rows) bucket(row, d);
}`;
    expect(findings(code).map((f) => `${f.location.line} ${f.message.slice(0, 40)}`)).toEqual(["2 `daily()` fetches `agent_sessions` (line"]);
  });

  it.each([
    ["rows walked once", "for (const s of data ?? []) out.push(s.agent_id);"],
    ["a loop over a collection, not a range", "for (const agent of agents) out.push((data ?? []).filter((s) => s.agent_id === agent).length);"],
    ["a range loop that does not touch the rows", "for (let h = 0; h < 24; h++) out.push(h);\n  for (const s of data ?? []) out.push(s);"],
    ["chunks of the rows", "const rows = data ?? [];\n  for (let i = 0; i < rows.length; i += 100) send(rows.slice(i, i + 100));"],
  ])("stays quiet for %s", (_name, loops) => {
    const code = `export async function stats(supabase, org, from, to, agents) {\n  ${FETCH}\n  const out = [];\n  ${loops}\n  return out;\n}`;
    expect(findings(code)).toEqual([]);
  });

  it("stays quiet when each step of the range fetches its own rows (that is one query per step, not aggregation in code)", () => {
    const code = `export async function perDay(supabase, org, days) {
  for (let d = 0; d < days; d++) {
    const { data } = await supabase.from("agent_sessions").select("id").eq("organization_id", org).gte("started_at", d);
    for (let h = 0; h < 24; h++) for (const s of data ?? []) use(s, h);
  }
}`;
    // The fetch sits inside the day loop; only the hour loop encloses the walk and not the fetch.
    expect(findings(code).map((f) => f.related!.map((l) => l.line))).toEqual([[4, 4]]);
  });

  it("the bundled example reports the coverage calculation IMPORTANT, beside the seed's other findings", async () => {
    const root = "examples/supabase-app";
    const loaded = await loadConfig({ root, knownRules: ALL_RULES.map((r) => r.id) });
    if (!loaded.ok) throw new Error(loaded.message);
    const result = await audit(fsSource(root), { config: loaded.config });
    const found = result.findings.filter((f) => f.rule === "app-side-aggregation");
    expect(found.map((f) => `${f.severity} ${f.table} ${f.location.file}:${f.location.line}`)).toEqual([
      "important public.agent_sessions apps/dashboard/src/lib/stats/coverage-stats.ts:32",
    ]);
    expect(found[0].message).toContain("`calculateHourlyCoverage()` fetches `agent_sessions`");
    expect(found[0].message).toContain("once per step of the while loop at line 43 → for loop at line 44");
    expect(result.findings.filter((f) => f.severity === "important").map((f) => f.rule).sort()).toEqual(["app-side-aggregation", "query-index", "query-index"]);
  });
});
