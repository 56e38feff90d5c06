import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionCandidate } from "../../src/rules/partition-candidate.js";
import { parseSql } from "../../src/sql/parser.js";
import type { AccessPattern } from "../../src/core/types.js";
import { check } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const PAGEVIEWS = "CREATE TABLE widget_pageviews (\n  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n  organization_id uuid NOT NULL,\n  page_url text,\n  created_at timestamptz NOT NULL DEFAULT now()\n);";
const BIG = { tables: { widget_pageviews: { rows: 100_000_000 } } };

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

describe("partition-candidate", () => {
  it("advises monthly partitioning on created_at for a large event table, with a fix that builds the new parent", async () => {
    const result = check(partitionCandidate, PAGEVIEWS, { config: BIG });
    expect(result).toHaveLength(1);
    const [finding] = result;
    expect(finding).toMatchObject({ severity: "routine", table: "public.widget_pageviews", columns: ["created_at"] });
    expect(finding.message).toBe("Table widget_pageviews is expected to reach 100,000,000 rows and only grows: partition it by month on created_at.");
    expect(finding.details).toMatch(/one partition per month/);
    expect(finding.details).toMatch(/dropping \(or detaching and archiving\) whole old partitions/);
    expect(finding.details).toMatch(/indexes created on the partitioned parent/);
    expect(finding.details).toContain("primary key becomes (id, created_at)");
    expect(parseSql(finding.fix!.sql).ok).toBe(true);

    await db.exec(PAGEVIEWS);
    await db.exec(finding.fix!.sql);
    const parent = await db.query<{ strategy: string; key: string }>(
      "SELECT partstrat AS strategy, pg_get_partkeydef('widget_pageviews_partitioned'::regclass) AS key FROM pg_partitioned_table WHERE partrelid = 'widget_pageviews_partitioned'::regclass",
    );
    expect(parent.rows).toEqual([{ strategy: "r", key: "RANGE (created_at)" }]);
    await db.exec("INSERT INTO widget_pageviews_partitioned (organization_id) VALUES (gen_random_uuid())");
    const copied = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM widget_pageviews_default WHERE id IS NOT NULL AND created_at IS NOT NULL");
    expect(copied.rows[0].n).toBe(1);
  });

  it("stays quiet below the threshold, without a size hint, or when already partitioned", () => {
    expect(check(partitionCandidate, PAGEVIEWS, { config: { tables: { widget_pageviews: { rows: 9_999_999 } } } })).toEqual([]);
    expect(check(partitionCandidate, PAGEVIEWS)).toEqual([]);
    expect(check(partitionCandidate, PAGEVIEWS, { config: { ...BIG, "partition-threshold": 200_000_000 } })).toEqual([]);
    const partitioned = "CREATE TABLE widget_pageviews (id uuid, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);";
    expect(check(partitionCandidate, partitioned, { config: BIG })).toEqual([]);
  });

  it("needs an append-only hint for a table whose name does not say it is a log, and a time column", () => {
    const calls = "CREATE TABLE call_logs_archive_view_source (id int);\nCREATE TABLE calls (id int PRIMARY KEY, started_at timestamptz);";
    const hinted = { tables: { calls: { rows: 20_000_000 } } };
    expect(check(partitionCandidate, calls, { config: hinted })).toEqual([]);
    const appendOnly = check(partitionCandidate, calls, { config: { tables: { calls: { rows: 20_000_000, "append-only": true } } } });
    expect(appendOnly.map((f) => f.columns)).toEqual([["started_at"]]);
    const noTime = "CREATE TABLE agent_events (id int, payload jsonb);";
    expect(check(partitionCandidate, noTime, { config: { tables: { agent_events: { rows: 50_000_000 } } } })).toEqual([]);
    const optedOut = check(partitionCandidate, PAGEVIEWS, { config: { tables: { widget_pageviews: { rows: 100_000_000, "append-only": false } } } });
    expect(optedOut).toEqual([]);
  });

  it("takes a log-like name back when the application updates the table's rows in place", () => {
    const logs = "CREATE TABLE call_logs (id int PRIMARY KEY, status text, created_at timestamptz NOT NULL);";
    const big = { tables: { call_logs: { rows: 10_000_000 } } };
    expect(check(partitionCandidate, logs, { config: big })).toHaveLength(1);
    const update: AccessPattern = {
      table: "call_logs",
      kind: "update",
      predicates: [{ column: "id", op: "eq", sentAs: "param" }],
      hasOr: false,
      orderBy: [],
      limited: false,
      joins: [],
      inLoop: false,
      source: "supabase-js",
      location: { file: "src/calls.ts", line: 3, column: 1 },
      suppressions: [],
    };
    expect(check(partitionCandidate, logs, { config: big, patterns: [update] })).toEqual([]);
    const declared = { tables: { call_logs: { rows: 10_000_000, "append-only": true } } };
    expect(check(partitionCandidate, logs, { config: declared, patterns: [update] })).toHaveLength(1);
  });
});
