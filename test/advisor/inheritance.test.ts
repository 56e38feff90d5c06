// Table inheritance, against the planner (PGlite, PostgreSQL 18, generic plans, enable_seqscan off): a
// query on an INHERITS parent reads the parent and each child through the child's own indexes.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adviseTable } from "../../src/advisor/recommend.js";
import type { AccessPattern } from "../../src/core/types.js";
import { findTable } from "../../src/schema/lookup.js";
import { parseSql } from "../../src/sql/parser.js";
import { patternsFromStatement } from "../../src/queries/sql-patterns.js";
import { resetDatabase } from "../schema/catalog.js";
import { startPGlite } from "../support/pglite.js";
import { schemaFrom } from "./support/schema.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(() => db.close());

const FAMILY = `
CREATE TABLE events (id bigint NOT NULL, account_id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE events_2025 () INHERITS (events);
CREATE TABLE events_2026 (note text) INHERITS (events);
CREATE TABLE events_2026_q1 () INHERITS (events_2026);
`;
const QUERY = "SELECT * FROM events WHERE account_id = $1";

function patternOf(sql: string): AccessPattern {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  return patternsFromStatement(outcome.statements[0].ast, { source: "sql-in-code", location: { file: "src/q.ts", line: 1, column: 1 } })[0];
}

/** The tables the generic plan reads without an index (Seq Scan), after the migrations and any fix. */
async function seqScanned(migrations: string, fix = ""): Promise<string[]> {
  await resetDatabase(db);
  await db.exec(migrations);
  for (const statement of fix.split("\n").filter(Boolean)) await db.exec(statement);
  await db.exec("set enable_seqscan = off; set plan_cache_mode = force_generic_plan; deallocate all");
  await db.exec(`prepare q(bigint) as ${QUERY}`);
  const plan = await db.query<{ "QUERY PLAN": string }>("explain execute q(1)");
  await db.exec("deallocate all; reset all");
  return plan.rows.flatMap((r) => /Seq Scan on (\w+)/.exec(r["QUERY PLAN"])?.[1] ?? []).sort();
}

function advise(migrations: string) {
  const schema = schemaFrom(migrations);
  return adviseTable(findTable(schema, "events")!, [patternOf(QUERY)], { schema });
}

describe("a query on an inheritance parent", () => {
  it("is served when the parent and every descendant have a serving index, as the planner's Append shows", async () => {
    const migrations = `${FAMILY}
      CREATE INDEX events_account ON events (account_id);
      CREATE INDEX events_2025_account ON events_2025 (account_id);
      CREATE INDEX events_2026_account ON events_2026 (account_id, created_at);
      CREATE INDEX events_2026_q1_account ON events_2026_q1 (account_id);`;
    expect(await seqScanned(migrations)).toEqual([]);
    const advice = advise(migrations);
    expect(advice.matches[0].match.verdict).toBe("served");
    expect(advice.recommendations).toEqual([]);
  });

  it("is not served while one child (here a grandchild) lacks one: the fix indexes that table, not the parent", async () => {
    const migrations = `${FAMILY}
      CREATE INDEX events_account ON events (account_id);
      CREATE INDEX events_2025_account ON events_2025 (account_id);
      CREATE INDEX events_2026_account ON events_2026 (account_id);`;
    expect(await seqScanned(migrations)).toEqual(["events_2026_q1"]);
    const advice = advise(migrations);
    expect(advice.matches[0].match.verdict).toBe("not-served");
    expect(advice.recommendations.map((r) => r.table)).toEqual(["public.events_2026_q1"]);
    expect(await seqScanned(migrations, advice.recommendations.map((r) => r.sql).join("\n"))).toEqual([]);
  });

  it("with no index anywhere, gets one index per table of the family, after which the planner scans none of them whole", async () => {
    expect(await seqScanned(FAMILY)).toEqual(["events", "events_2025", "events_2026", "events_2026_q1"]);
    const advice = advise(FAMILY);
    expect(advice.recommendations.map((r) => r.table).sort()).toEqual(["public.events", "public.events_2025", "public.events_2026", "public.events_2026_q1"]);
    expect(await seqScanned(FAMILY, advice.recommendations.map((r) => r.sql).join("\n"))).toEqual([]);
  });
});
