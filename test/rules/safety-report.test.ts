// A full audit of a migration history: the migration-safety rules' findings on migrations that already ran are
// NOTED, without a fix, and grouped with the other lock findings in the markdown report.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { auditFolder } from "../support/audit-folder.js";

let remove = () => {};
let result: AuditResult;
const OLD = "supabase/migrations/20240101000000_qty.sql";
const NEW = "supabase/migrations/20240105000000_note.sql";

beforeAll(async () => {
  const files: Record<string, string> = {
    "supabase/migrations/20240100000000_init.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, qty int, note text);",
    [OLD]: "ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;",
    "supabase/migrations/20240102000000_a.sql": "CREATE TABLE a (id int PRIMARY KEY);",
    "supabase/migrations/20240103000000_b.sql": "CREATE TABLE b (id int PRIMARY KEY);",
    "supabase/migrations/20240104000000_c.sql": "CREATE TABLE c (id int PRIMARY KEY);",
    [NEW]: "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL;",
  };
  ({ result, remove } = await auditFolder(files));
}, 60_000);

afterAll(() => remove());

describe("migration-safety findings on migrations that already ran", () => {
  it("are NOTED without a fix; the newest migration keeps its severity and fix", () => {
    const old = result.findings.filter((f) => f.location.file === OLD).map((f) => [f.rule, f.severity, f.fix === undefined]);
    expect(old.sort()).toEqual([
      ["lock-timeout", "noted", true],
      ["table-rewrite", "noted", true],
    ]);
    const recent = result.findings.filter((f) => f.location.file === NEW);
    expect(recent.map((f) => [f.rule, f.severity]).sort()).toEqual([
      ["constraint-validation", "routine"],
      ["lock-timeout", "routine"],
    ]);
    // Both replace the same statement: one fix does both (the lock_timeout before the rewrite), the other refers to it.
    expect(recent.filter((f) => f.fix?.placement === "replace").map((f) => f.rule)).toEqual(["constraint-validation"]);
    expect(recent.find((f) => f.rule === "constraint-validation")?.fix?.sql).toMatch(/^SET (LOCAL )?lock_timeout = '5s';\n/);
    expect(recent.find((f) => f.rule === "lock-timeout")?.message).toContain("The fix of the constraint-validation finding on this statement");
  });

  it("are grouped in the markdown report with the other lock findings on settled migrations", () => {
    const text = renderMarkdown(result, { version: "0.0.0", date: "2026-01-02", config: DEFAULT_CONFIG, subject: "history" });
    const start = text.indexOf("## Lock Findings on Migrations That Already Ran");
    const grouped = text.slice(start, text.indexOf("\n## ", start + 1));
    expect(grouped).toContain(`- \`${OLD}:1\` — ALTER COLUMN qty TYPE locks accounts against reads and writes for a full rewrite: applied long ago, listed for the record.`);
    expect(grouped).not.toContain(NEW);
  });
});
