// The first rows of a whole table by an ORDER BY, with no filter (`ORDER BY created_at LIMIT 1`): the index on
// the ORDER BY column saves a sort of every row, which matters only once the table is large. NOTED unless
// something shows the table growing. Planner verdicts are PGlite's (PostgreSQL 18) on an analyzed table.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pattern } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(() => db.close());

const SETTINGS = "CREATE TABLE site_settings (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), theme text);";
const firstRow = (table: string, extra = {}) =>
  pattern(table, [], { source: "prisma", limited: true, orderBy: [{ column: "created_at", descending: false, nullsFirst: false }], functionName: "currentSettings", ...extra });

describe("the first rows of a whole table, with no filter", () => {
  it("is NOTED with the index that gives the order, saying why, and worded as a read in order, not a filter", async () => {
    const [finding] = queryIndexOn(SETTINGS, [firstRow("site_settings")]);
    expect(finding.severity).toBe("noted");
    expect(finding.message).toBe(
      "`currentSettings()` reads the first rows of `site_settings` by created_at with no filter, and no index gives that order, so the planner reads and sorts every row: add idx_site_settings_created_at on (created_at).",
    );
    expect(finding.details).toContain("NOTED: a read of the first rows of a whole table costs a sort of every row");
    expect(finding.details).toContain("Why this index: The ORDER BY column, in the query's order, so the LIMIT stops the scan");

    // The planner uses the fix for the query and stops after one row; without it, it sorts the table.
    await db.exec(`${SETTINGS} INSERT INTO site_settings (id, created_at) SELECT g, now() - g * interval '1 minute' FROM generate_series(1, 20000) g; ANALYZE site_settings;`);
    const plan = async () => JSON.stringify((await db.query<{ "QUERY PLAN": unknown }>("EXPLAIN (FORMAT JSON) SELECT * FROM site_settings ORDER BY created_at LIMIT 1")).rows[0]["QUERY PLAN"]);
    expect(await plan()).toContain('"Node Type":"Sort"');
    for (const statement of finding.fix!.sql.split("\n")) await db.exec(statement);
    await db.exec("ANALYZE site_settings;");
    const after = await plan();
    expect(after).toContain('"Index Name":"idx_site_settings_created_at"');
    expect(after).not.toContain('"Node Type":"Sort"');
  });

  it("is ROUTINE when the table grows: an append-only size hint, or code that only ever inserts into it", () => {
    const hinted = queryIndexOn(SETTINGS, [firstRow("site_settings")], { tables: { site_settings: { "append-only": true } } });
    expect(hinted.map((f) => f.severity)).toEqual(["routine"]);
    // A table named for settings never counts as growing; one the code only ever inserts into does.
    const SIGNUPS = "CREATE TABLE signups (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), email text);";
    const logged = { ...pattern("signups", []), kind: "insert" as const, location: { file: "src/log.ts", line: 3, column: 1 } };
    const appended = queryIndexOn(SIGNUPS, [firstRow("signups"), logged]);
    expect(appended.map((f) => f.severity)).toEqual(["routine"]);
    expect(appended[0].details).not.toContain("NOTED");
  });

  it("a filter keeps the usual wording and severity", () => {
    const filtered = firstRow("site_settings", { predicates: [{ column: "theme", op: "eq", sentAs: "param" }] });
    const [finding] = queryIndexOn(SETTINGS, [filtered]);
    expect(finding.message).toMatch(/^`currentSettings\(\)` filters `site_settings` by theme, created_at and no index serves it/);
    expect(finding.severity).toBe("routine");
  });
});
