// A full audit of a migration history: lock findings on migrations that already ran read as NOTED, without a fix,
// in every output, while the newest files keep their severity and fix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { buildJsonReport } from "../../src/report/json.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { buildSarif } from "../../src/report/sarif.js";
import { auditFolder } from "../support/audit-folder.js";
import { initParser } from "../../src/sql/parser.js";

let remove = () => {};
let result: AuditResult;
const OLD = "supabase/migrations/20240101000000_email.sql";
const NEW = "supabase/migrations/20240105000000_org.sql";

beforeAll(async () => {
  await initParser();
  const files: Record<string, string> = {
    "supabase/migrations/20240100000000_init.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, org_id bigint);",
    [OLD]: "CREATE INDEX accounts_email ON accounts (email);",
    "supabase/migrations/20240102000000_a.sql": "CREATE TABLE a (id int PRIMARY KEY);",
    "supabase/migrations/20240103000000_b.sql": "CREATE TABLE b (id int PRIMARY KEY);",
    "supabase/migrations/20240104000000_c.sql": "CREATE TABLE c (id int PRIMARY KEY);",
    [NEW]: "CREATE INDEX accounts_org ON accounts (org_id);",
  };
  ({ result, remove } = await auditFolder(files));
}, 60_000);

afterAll(() => remove());

describe("lock findings on migrations that already ran, in every output", () => {
  it("JSON: NOTED with the reason and no fix; the newest file keeps ROUTINE and its in-place fix", () => {
    const locks = buildJsonReport(result, "0.0.0").findings.filter((f) => f.rule === "index-locking");
    const old = locks.find((f) => f.location.file === OLD)!;
    const recent = locks.find((f) => f.location.file === NEW)!;
    expect([old.severity, old.fix]).toEqual(["noted", undefined]);
    expect(old.details).toContain("applied long ago: this statement cannot be changed now; it is listed for the record");
    expect(recent.severity).toBe("routine");
    expect(recent.fix?.placement).toBe("replace");
  });

  it("SARIF: the old statement is a note, the new one a warning", () => {
    const sarif = buildSarif(result, { version: "0.0.0" }) as { runs: Array<{ results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    const levels = Object.fromEntries(
      sarif.runs[0].results.filter((r) => r.ruleId === "index-locking").map((r) => [r.locations[0].physicalLocation.artifactLocation.uri, r.level]),
    );
    expect(levels).toEqual({ [OLD]: "note", [NEW]: "warning" });
  });

  it("markdown: the old statement stays grouped under the migrations that already ran", () => {
    const text = renderMarkdown(result, { version: "0.0.0", date: "2026-01-02", config: DEFAULT_CONFIG, subject: "history" });
    const start = text.indexOf("## Lock Findings on Migrations That Already Ran");
    const grouped = text.slice(start, text.indexOf("\n## ", start + 1));
    expect(grouped).toContain(`- \`${OLD}:1\` — CREATE INDEX blocks writes to accounts while it builds: applied long ago, listed for the record.`);
    expect(grouped).not.toContain(NEW);
  });
});
