// Queries on views: matched against the indexes of the table the view reads, with the view's WHERE
// added to the query's. The planner (PGlite, generic plans for bound parameters) is the judge of
// every verdict; views the audit cannot see through get no advice and are listed in the scope.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchPattern } from "../../src/advisor/match.js";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import type { AccessPattern } from "../../src/core/types.js";
import { patternsFromStatement } from "../../src/queries/sql-patterns.js";
import { patternsThroughViews, unresolvedViews } from "../../src/queries/views.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { findTable } from "../../src/schema/lookup.js";
import { replaySchema } from "../../src/schema/replay.js";
import { parseSql } from "../../src/sql/parser.js";
import type { Source } from "../../src/source/source.js";
import { sqlToStatements } from "../schema/helpers.js";
import { startPGlite } from "../support/pglite.js";

const DDL = `
create schema app;
create table app.packages (
  id bigint primary key,
  owner_id bigint not null,
  status text not null,
  deleted boolean not null default false,
  downloads integer not null default 0,
  created_at timestamptz not null
);
create index packages_live_owner on app.packages (owner_id) where not deleted;
create index packages_published_owner on app.packages (owner_id, created_at) where status = 'published';
create index packages_popular_created on app.packages (created_at) where downloads > 10;
create view live_packages as select * from app.packages where not deleted;
create view published (package_id, author, published_at) with (security_invoker = true) as
  select id, owner_id, created_at from app.packages where status = 'published';
create view all_packages as select id, owner_id as author, created_at from app.packages;
create view recent_live as select id, owner_id, created_at from live_packages where created_at > '2024-01-01';
create view popular as select id, created_at from app.packages where downloads > 100;
create view owner_counts as select owner_id, count(*) as n from app.packages group by owner_id;
`;

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
  await db.exec(DDL);
  await db.exec("set enable_seqscan = off; set plan_cache_mode = force_generic_plan;");
}, 60_000);

afterAll(async () => {
  await db?.close();
});

function patternsOf(sql: string): AccessPattern[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  return patternsFromStatement(outcome.statements[0].ast, { source: "sql-file", location: { file: "q.sql", line: 1, column: 1 } });
}

/** The index the planner scans with a condition (generic plan), or null. */
async function plannerIndex(sql: string, params: number): Promise<string | null> {
  const types = Array.from({ length: params }, () => "unknown").join(", ");
  await db.exec(`deallocate all; prepare probe${params ? `(${types})` : ""} as ${sql}`);
  const args = params ? `(${Array.from({ length: params }, () => "null").join(", ")})` : "";
  const result = await db.query<{ "QUERY PLAN": any }>(`explain (format json) execute probe${args}`);
  const scans: string[] = [];
  const visit = (plan: any) => {
    if (plan["Index Name"] && plan["Index Cond"]) scans.push(plan["Index Name"]);
    for (const child of plan.Plans ?? []) visit(child);
  };
  visit(result.rows[0]["QUERY PLAN"][0].Plan);
  return scans[0] ?? null;
}

/** The index the advisor says serves the query once it is moved through the view, or null. */
function advisedIndex(sql: string): { table: string; index: string | null } {
  const schema = replaySchema(sqlToStatements(DDL));
  const [pattern] = patternsThroughViews(patternsOf(sql), schema);
  const table = findTable(schema, pattern.table);
  expect(table, `${pattern.table} is a table of the schema`).toBeDefined();
  const match = matchPattern(table!, pattern);
  return { table: pattern.table, index: match.verdict === "served" ? (match.best?.index.name ?? null) : null };
}

const CASES: Array<{ name: string; sql: string; params: number; index: string | null }> = [
  { name: "the view's WHERE makes a partial index usable", sql: "select * from live_packages where owner_id = $1", params: 1, index: "packages_live_owner" },
  { name: "the same query on the table cannot use it", sql: "select * from app.packages where owner_id = $1", params: 1, index: null },
  { name: "renamed columns, security_invoker, a literal WHERE", sql: "select * from published where author = $1 order by published_at", params: 1, index: "packages_published_owner" },
  { name: "a view without WHERE does not imply a partial predicate", sql: "select * from all_packages where author = $1", params: 1, index: null },
  { name: "a view over a view carries both WHEREs", sql: "select id from recent_live where owner_id = $1", params: 1, index: "packages_live_owner" },
  { name: "a range in the view's WHERE implies a wider partial range", sql: "select id from popular where created_at < $1", params: 1, index: "packages_popular_created" },
];

describe("queries on views, against the planner", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const planner = await plannerIndex(c.sql, c.params);
      expect(planner).toBe(c.index);
      const advised = advisedIndex(c.sql);
      expect(advised.table).toBe("app.packages");
      expect(advised.index).toBe(planner);
    });
  }

  it("leaves a query on a view it cannot see through on the view, and says why", () => {
    const schema = replaySchema(sqlToStatements(DDL));
    const patterns = patternsThroughViews(patternsOf("select * from owner_counts where owner_id = $1"), schema);
    expect(patterns[0].table).toBe("owner_counts");
    expect(unresolvedViews(patterns, schema)).toEqual([{ view: "public.owner_counts", reason: "GROUP BY" }]);
  });

  it("names what it cannot see through: set operations, window functions, aggregates, joins, unknown tables", () => {
    const schema = replaySchema(
      sqlToStatements(`
create table t (id int primary key, kind text);
create table u (id int primary key, t_id int);
create view v_union as select id from t union select id from u;
create view v_window as select id, row_number() over (order by id) as n from t;
create view v_total as select count(*) as n from t;
create view v_join as select t.id, u.id as u_id from t join u on u.t_id = t.id;
create view v_elsewhere as select * from somewhere_else;`),
    );
    const names = ["v_union", "v_window", "v_total", "v_join", "v_elsewhere"];
    const patterns = patternsThroughViews(names.map((n) => patternsOf(`select * from ${n} where id = $1`)[0]), schema);
    expect(unresolvedViews(patterns, schema).map((v) => v.reason)).toEqual([
      "UNION",
      "window functions",
      "aggregates",
      "a join of several tables",
      "it reads somewhere_else, which the migrations do not create",
    ]);
  });

  it("leaves a filter on a column the view computes unresolved", () => {
    const schema = replaySchema(
      sqlToStatements(`create table t (id int primary key, name text); create view v as select id, lower(name) as name from t;`),
    );
    const patterns = patternsThroughViews(patternsOf("select * from v where name = $1"), schema);
    expect(unresolvedViews(patterns, schema)).toEqual([{ view: "public.v", reason: "column name is computed by the view" }]);
    expect(patternsThroughViews(patternsOf("select * from v where id = $1"), schema)[0].table).toBe("public.t");
  });
});

describe("a supabase-js query on a view, through the whole audit", () => {
  const files: Record<string, string> = {
    "supabase/migrations/20240101000000_init.sql": `
create schema app;
create table app.packages (id bigint primary key, owner_id bigint not null, name text not null);
create view packages as select * from app.packages;
create view package_stats as select distinct owner_id from app.packages;
create materialized view owner_totals as select owner_id, count(*) as packages from app.packages group by owner_id;
create materialized view named_totals as select owner_id, count(*) as packages from app.packages group by owner_id;
create index named_totals_owner on named_totals (owner_id);
`,
    "src/packages.ts": `
import { supabase } from "./client";
export async function packagesOf(owner: number) {
  return supabase.from("packages").select("id, name").eq("owner_id", owner);
}
export async function stats(owner: number) {
  return supabase.from("package_stats").select("*").eq("owner_id", owner);
}
export async function totals(owner: number) {
  const a = await supabase.from("owner_totals").select("packages").eq("owner_id", owner);
  const b = await supabase.from("named_totals").select("packages").eq("owner_id", owner);
  return [a, b];
}
`,
  };
  const source: Source = {
    list: async () => Object.keys(files).map((path) => ({ path })),
    read: async (path: string) => new TextEncoder().encode(files[path]),
  };

  it("advises on the base table, and lists the view it cannot see through in the report's scope", async () => {
    const result = await audit(source, { config: DEFAULT_CONFIG });
    const advice = result.findings.filter((f) => f.rule === "query-index");
    // A materialized view is a table: advised like one, and served by the indexes created on it.
    expect(advice.map((f) => [f.table, f.columns]).sort()).toEqual([
      ["app.packages", ["owner_id"]],
      ["public.owner_totals", ["owner_id"]],
    ]);
    expect(advice.find((f) => f.table === "app.packages")?.fix?.sql).toMatch(/ON app\.packages \(owner_id\)/);
    expect(result.findings.filter((f) => f.table.includes("package_stats"))).toEqual([]);
    expect(result.findings.filter((f) => f.rule === "missing-primary-key")).toEqual([]);
    expect(result.sets[0].unresolvedViews).toEqual([{ view: "public.package_stats", reason: "DISTINCT" }]);
    const markdown = renderMarkdown(result, { version: "0", date: "2026-01-02", config: DEFAULT_CONFIG });
    expect(markdown).toContain("views not resolved, so not advised: `public.package_stats` (DISTINCT)");
  });
});
