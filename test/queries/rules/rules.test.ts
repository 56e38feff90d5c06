import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, Schema } from "../../../src/core/types.js";
import { extractFromCodeFile } from "../../../src/queries/code-file.js";
import { nPlusOne } from "../../../src/rules/n-plus-one.js";
import type { RuleContext } from "../../../src/rules/rule.js";
import { unboundedQuery } from "../../../src/rules/unbounded-query.js";
import { initParser } from "../../../src/sql/parser.js";
import { config, schemaOf, setOf } from "../helpers.js";

beforeAll(() => initParser());

const SCHEMA_SQL = `
  CREATE TABLE widget_pageviews (id bigint PRIMARY KEY, organization_id uuid NOT NULL, site_id uuid, created_at timestamptz NOT NULL);
  CREATE TABLE invites (id uuid PRIMARY KEY, token text NOT NULL, organization_id uuid);
  CREATE UNIQUE INDEX invites_token_key ON invites (token);
  CREATE TABLE users (id uuid PRIMARY KEY, email text);
  CREATE TABLE call_logs (id uuid PRIMARY KEY, status text);
  CREATE TABLE sites (id uuid PRIMARY KEY, organization_id uuid);
  CREATE TABLE agent_sessions (id uuid PRIMARY KEY, agent_id uuid, ended_at text);
  CREATE TABLE agent_profiles (id uuid PRIMARY KEY, user_id uuid);
`;

function fixture(path: string): AccessPattern[] {
  const result = extractFromCodeFile(path, readFileSync(`test/fixtures/code/${path}`, "utf8"));
  expect(result.problems).toEqual([]);
  return result.patterns;
}

function context(patterns: AccessPattern[], schema: Schema, tables: Record<string, { rows?: number }> = {}): RuleContext {
  return { set: setOf("db", []), statements: [], schema, patterns, problems: [], config: config({ tables }) };
}

describe("unbounded-query", () => {
  const schema = () => schemaOf(SCHEMA_SQL);

  it("reports selects without a limit on a table whose size hint reaches the threshold", () => {
    const patterns = fixture("rules/pageviews.ts");
    const findings = unboundedQuery.check(context(patterns, schema(), { widget_pageviews: { rows: 50_000_000 }, invites: { rows: 2_000_000 } }));
    expect(findings.map((f) => `${f.location.line} ${f.table}`)).toEqual([
      "5 public.widget_pageviews",
      "23 public.invites",
      "27 public.widget_pageviews",
      "33 public.widget_pageviews",
    ]);
    const [first] = findings;
    expect(first).toMatchObject({ rule: "unbounded-query", severity: "routine", columns: ["organization_id"] });
    expect(first.message).toBe("`allPageviews()` selects from `widget_pageviews` (expected 50,000,000 rows) filtered only by `organization_id` and no limit: every matching row is read and sent.");
    expect(first.details).toMatch(/\.range\(from, to\)/);
    expect(findings[2].details).toMatch(/keyset pagination: remember the last `created_at`/);
    expect(findings[3].details).toMatch(/^Add `LIMIT`/);
  });

  it("stays quiet below the threshold, without a size hint, and respects a configured threshold", () => {
    const patterns = fixture("rules/pageviews.ts");
    expect(unboundedQuery.check(context(patterns, schema(), { widget_pageviews: { rows: 50_000 } }))).toEqual([]);
    expect(unboundedQuery.check(context(patterns, schema()))).toEqual([]);
    const ctx = context(patterns, schema(), { widget_pageviews: { rows: 50_000 } });
    ctx.config = { ...ctx.config, unboundedThreshold: 10_000 };
    expect(unboundedQuery.check(ctx)).toHaveLength(3);
  });
});

describe("n-plus-one", () => {
  it("reports each query issued inside a loop, naming the loop and the set-based alternative", () => {
    const patterns = fixture("app/src/loops.ts");
    const findings = nPlusOne.check(context(patterns, schemaOf(SCHEMA_SQL)));
    expect(findings.map((f) => `${f.location.line} ${f.table} ${f.columns.join(",")}`)).toEqual([
      "7 public.users id",
      "15 public.call_logs id",
      "21 public.sites organization_id",
      "43 public.agent_sessions agent_id",
      "48 public.agent_profiles user_id",
    ]);
    // The polling while loop (line 28) and the keyset-paginated do...while (line 36) read in batches on purpose.
    expect(findings[0].message).toBe(
      '`forOf()` reads `users` inside the for...of loop at line 6: one round trip per iteration (N+1). Collect the keys and run one query with `.in("id", ids)`.',
    );
    expect(findings[1].message).toBe(
      "`classicFor()` updates `call_logs` inside the for loop at line 14: one round trip per iteration (N+1). Collect the keys and run one query with `WHERE id = ANY($1)` (the written values are the same for every row).",
    );
    expect(findings[4].message).toContain("inside the .map() loop at line 48");
    expect(findings.every((f) => f.severity === "routine" && f.fix === undefined)).toBe(true);
  });

  it("reports nothing when no query runs in a loop, and carries the suppression comment written above a looped query", () => {
    const quiet = fixture("app/src/supabase-methods.ts");
    expect(nPlusOne.check(context(quiet, schemaOf(SCHEMA_SQL)))).toEqual([]);
    const patterns = fixture("rules/pageviews.ts");
    const looped = patterns.filter((p) => p.inLoop);
    expect(looped).toHaveLength(1);
    expect(looped[0].suppressions).toEqual([
      { rule: "n-plus-one", reason: "at most three sites per organization", location: { file: "rules/pageviews.ts", line: 48, column: 5 } },
    ]);
    expect(nPlusOne.check(context(patterns, schemaOf(SCHEMA_SQL)))).toHaveLength(1);
  });
});
