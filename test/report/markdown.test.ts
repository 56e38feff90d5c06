import { describe, expect, it } from "vitest";
import type { AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG, type AuditConfig } from "../../src/core/config.js";
import type { Finding } from "../../src/core/types.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { callLogs, parseFinding, reconnectFinding, exampleLikeResult, siteFinding } from "./hand-built.js";

const config: AuditConfig = { ...DEFAULT_CONFIG, tables: { call_logs: { rows: 10_000_000, appendOnly: true } } };
const rules = ["fk-index", "query-index", "redundant-index", "n-plus-one", "parse-error"].map((id) => ({
  id,
  description: id,
  defaultSeverity: "routine" as const,
}));

function render(result: AuditResult = exampleLikeResult(), options: Partial<Parameters<typeof renderMarkdown>[1]> = {}): string {
  return renderMarkdown(result, { version: "0.1.0", date: "2026-01-02", config, subject: "demo", rules, ...options });
}

/** The lines of one `## ` section, heading included. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = markdown.indexOf("\n## ", start + heading.length + 2);
  return markdown.slice(start + 1, next < 0 ? undefined : next);
}

describe("markdown report", () => {
  const markdown = render();

  it("opens with title, date, tool and scope", () => {
    expect(markdown.startsWith("# Database & Index Audit: demo\n**Date:** 2026-01-02")).toBe(true);
    expect(markdown).toContain("**Tool:** index-audit 0.1.0");
    expect(markdown).toContain("**Result:** 2 IMPORTANT, 1 ROUTINE, 0 NOTED");
  });

  it("triages the TL;DR into IMPORTANT, ROUTINE and NOTED with locations", () => {
    const tldr = section(markdown, "## TL;DR (Pre-Triaged)");
    const important = tldr.indexOf("🟡 **IMPORTANT:**");
    const routine = tldr.indexOf("🟢 **ROUTINE:**");
    const noted = tldr.indexOf("📝 **NOTED:**");
    expect(important).toBeGreaterThanOrEqual(0);
    expect(routine).toBeGreaterThan(important);
    expect(noted).toBeGreaterThan(routine);
    expect(tldr.slice(important, routine)).toContain(`- ${reconnectFinding.message} (\`apps/server/src/lib/call-logger.ts:413\`)`);
    expect(tldr.slice(routine, noted)).toContain(siteFinding.message);
    // NOTED carries computed good news: FK coverage and N+1.
    expect(tldr.slice(noted)).toContain("- 3 of 4 foreign keys have an index on the referencing side");
    expect(tldr.slice(noted)).toContain("- No N+1 query patterns detected in 1 query pattern");
  });

  it("lists indexes and missing ones for high-volume tables", () => {
    const analysis = section(markdown, "## Index Analysis");
    expect(analysis).toContain("| call_logs | organization_id, created_at | ✅ idx_call_logs_org_created | Good |");
    expect(analysis).toContain("| call_logs | pool_id, created_at | ✅ idx_call_logs_pool_created (partial) | Good - `WHERE pool_id IS NOT NULL` |");
    expect(analysis).toContain("| call_logs | reconnect_token | ❌ **MISSING** | 🟡 IMPORTANT - Used by getCallByReconnectToken()");
    // The size-hinted table leads.
    expect(analysis.indexOf("| call_logs |")).toBeLessThan(analysis.indexOf("| users |"));
  });

  it("has one FK coverage row per foreign key, with the covering index or the finding", () => {
    const analysis = section(markdown, "## Index Analysis");
    const rows = analysis.split("\n").filter((l) => l.startsWith("| ") && analysis.indexOf("### Foreign Key Index Coverage") < analysis.indexOf(l));
    expect(rows.slice(1)).toEqual([
      "| users | organization_id | ✅ | Via idx_users_organization_id |",
      "| agent_profiles | user_id | ✅ | Via UNIQUE constraint |",
      "| call_logs | organization_id | ✅ | Via idx_call_logs_org_created |",
      `| call_logs | site_id | ❌ | 🟢 ROUTINE - ${siteFinding.message} |`,
    ]);
    expect(analysis).toContain("**3 of 4** foreign keys have an index on the referencing side.");
  });

  it("does not call an FK covered when no index leads with its columns, even without a finding", () => {
    const analysis = section(render(exampleLikeResult([])), "## Index Analysis");
    expect(analysis).toContain("| call_logs | site_id | ❌ | No index leads with these columns (finding suppressed or rule off) |");
  });

  it("shows size hints and query patterns", () => {
    expect(section(markdown, "## Scaling")).toContain("| call_logs | 10,000,000 | yes | 3 | — |");
    const queries = section(markdown, "## Query Pattern Analysis");
    expect(queries).toContain("### N+1 Query Assessment: ✅ PASS");
    expect(queries).toContain(
      "| apps/server/src/lib/call-logger.ts:413 in getCallByReconnectToken() | select call_logs where reconnect_token = $ and status = 'accepted' and ended_at IS NULL limited | 🟡 IMPORTANT |",
    );
  });

  it("claims nothing for a rule that did not run", () => {
    const off = render(exampleLikeResult([]), { config: { ...config, rules: { "n-plus-one": "off", "redundant-index": "off" } } });
    expect(off).toContain("### N+1 Query Assessment: not run");
    expect(off).not.toContain("No N+1 query patterns detected");
    expect(off).not.toContain("No duplicate or redundant indexes");
    const unregistered = render(exampleLikeResult([]), { rules: rules.filter((r) => r.id !== "query-index") });
    expect(unregistered).not.toContain("lacks an index that serves it");
    expect(render(exampleLikeResult([]))).toContain("- No query pattern lacks an index that serves it");
  });

  it("fails the N+1 assessment when a loop finding exists", () => {
    const loop: Finding = { ...reconnectFinding, id: "loop", rule: "n-plus-one", message: "Query inside a for loop." };
    const queries = section(render(exampleLikeResult([loop])), "## Query Pattern Analysis");
    expect(queries).toContain("### N+1 Query Assessment: ❌ FAIL");
    expect(queries).toContain("- `apps/server/src/lib/call-logger.ts:413` — Query inside a for loop.");
  });

  it("numbers detailed findings with severity, location, details and SQL; parse errors go to Input Problems", () => {
    const detailed = section(markdown, "## Detailed Findings");
    expect(detailed).toContain("### 1. Missing index: call_logs.reconnect_token");
    expect(detailed).toContain("**Severity:** 🟡 IMPORTANT");
    expect(detailed).toContain("**Location:** `apps/server/src/lib/call-logger.ts:413`");
    expect(detailed).toContain("Full table scan for call recovery lookups.");
    expect(detailed).toContain("**Also concerns:** `apps/server/src/lib/call-logger.ts:502`");
    expect(detailed).toContain(`**Recommended Fix:**\n\`\`\`sql\n${reconnectFinding.fix!.sql}\n\`\`\``);
    expect(detailed).toContain("### 2. Foreign key without index: call_logs.site_id");
    // Each finding reads in one order: the short line, the SQL, then the reasoning and call sites collapsed.
    const first = detailed.slice(detailed.indexOf("### 1."), detailed.indexOf("### 2."));
    const order = [
      "**Location:** `apps/server/src/lib/call-logger.ts:413`",
      "Missing index on call_logs (reconnect_token): add idx_call_logs_reconnect_token.",
      "**Recommended Fix:**",
      "<details>\n<summary>Why, and where it is used</summary>",
      "No index serves the lookup of call_logs by reconnect_token.",
      "Full table scan for call recovery lookups.",
      "**Also concerns:**",
      "</details>",
    ].map((text) => first.indexOf(text));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(detailed).not.toContain("TABEL");
    expect(section(markdown, "## Input Problems")).toContain('- `supabase/migrations/20240301000000_broken.sql:4:8` — syntax error at or near "TABEL"');
  });

  it("splits recommended actions into immediate and medium-term with SQL", () => {
    const actions = section(markdown, "## Recommended Actions");
    expect(actions.indexOf("### Immediate (IMPORTANT)")).toBeLessThan(actions.indexOf("### Medium-Term (ROUTINE)"));
    expect(actions).toContain("1. **Missing index: call_logs.reconnect_token**");
    expect(actions).toContain("2. **Foreign key without index: call_logs.site_id**");
    expect(actions).toContain(`\`\`\`sql\n${reconnectFinding.fix!.sql}\n${siteFinding.fix!.sql}\n\`\`\``);
  });

  it("keeps table restructuring out of the combined index script and indents multi-line SQL in its list item", () => {
    const partition: Finding = {
      ...siteFinding,
      id: "partition",
      rule: "partition-candidate",
      message: "Partition call_logs by month.",
      fix: { sql: "CREATE TABLE call_logs_p (LIKE call_logs) PARTITION BY RANGE (created_at);\nCREATE TABLE call_logs_d PARTITION OF call_logs_p DEFAULT;" },
    };
    const actions = section(render(exampleLikeResult([siteFinding, reconnectFinding, partition])), "## Recommended Actions");
    expect(actions).toContain("   CREATE TABLE call_logs_p (LIKE call_logs) PARTITION BY RANGE (created_at);\n   CREATE TABLE call_logs_d PARTITION OF call_logs_p DEFAULT;\n   ```");
    const script = actions.slice(actions.indexOf("### All index changes in one script"));
    expect(script).toContain(siteFinding.fix!.sql);
    expect(script).not.toContain("PARTITION BY");
  });

  it("ends with the index totals and the tables with most indexes", () => {
    const appendix = section(markdown, "## Appendix: Existing Index Summary");
    expect(appendix).toContain("Total indexes identified in migrations: **8** (5 of them back PRIMARY KEY, UNIQUE or EXCLUDE constraints)");
    expect(appendix).toContain("**By Table (top 4):**\n- call_logs: 3 indexes\n- users: 2 indexes\n- agent_profiles: 2 indexes\n- organizations: 1 index");
  });

  it("writes one section per migration set when there are several", () => {
    const base = exampleLikeResult([{ ...siteFinding, set: "supabase/migrations" }]);
    const other = { ...base.sets[0], set: { ...base.sets[0].set, name: "services/billing/migrations" }, schema: { tables: [callLogs] }, patterns: [] };
    const markdown2 = render({ ...base, sets: [base.sets[0], other] });
    expect(markdown2).toContain("## Index Analysis — `supabase/migrations`");
    expect(markdown2).toContain("## Index Analysis — `services/billing/migrations`");
    expect(markdown2).toContain("## Appendix: Existing Index Summary — `services/billing/migrations`");
    // The finding belongs to the first set only.
    const billing = section(markdown2, "## Index Analysis — `services/billing/migrations`");
    expect(billing).toContain("| call_logs | site_id | ❌ | No index leads with these columns");
    expect(section(markdown2, "## Index Analysis — `supabase/migrations`")).toContain("🟢 ROUTINE - Foreign key call_logs(site_id)");
  });

  it("says so when there is nothing to report", () => {
    const empty: AuditResult = { findings: [], sets: [], problems: [], skipped: [], stats: { files: 0, migrationFiles: 0, statements: 0, codeFiles: 0, patterns: 0 } };
    const text = render(empty);
    expect(text).toContain("**Result:** no findings");
    expect(text).toContain("No migrations were found");
    expect(text).toContain("Nothing to do: no IMPORTANT or ROUTINE findings.");
    expect(section(text, "## TL;DR (Pre-Triaged)")).toContain("🟡 **IMPORTANT:**\n- None");
  });

  it("folds many findings of one rule into one TL;DR bullet", () => {
    const builds: Finding[] = [1, 2, 3, 4, 5].map((line) => ({
      ...siteFinding,
      id: `lock-${line}`,
      rule: "index-locking",
      message: `CREATE INDEX without CONCURRENTLY (statement ${line})`,
      location: { file: "supabase/migrations/20250101000000_idx.sql", line, column: 1 },
    }));
    const tldr = section(render(exampleLikeResult([...builds, siteFinding])), "## TL;DR (Pre-Triaged)");
    expect(tldr).toContain(
      "- **Lock-taking index change** ×5: CREATE INDEX without CONCURRENTLY (statement 1) (`supabase/migrations/20250101000000_idx.sql:1`, and 4 more like it)",
    );
    expect(tldr).not.toContain("(statement 2)");
    expect(tldr).toContain(`- ${siteFinding.message}`);
  });

  it("escapes pipes in table cells and is deterministic", () => {
    const piped: Finding = { ...siteFinding, message: "a | b" };
    expect(render(exampleLikeResult([piped]))).toContain("a \\| b");
    expect(render()).toBe(markdown);
    expect(render(exampleLikeResult([parseFinding, siteFinding, reconnectFinding]))).toBe(markdown);
  });
});

describe("lock findings on migrations that already ran", () => {
  const files = Array.from({ length: 6 }, (_, i) => `supabase/migrations/2024010${i}000000_step.sql`);
  const lock = (file: string, table: string, severity: Finding["severity"] = "routine"): Finding => ({
    id: `lock-${file}-${table}`,
    rule: "index-locking",
    severity,
    table: `public.${table}`,
    columns: ["x"],
    message: `CREATE INDEX on existing table ${table} without CONCURRENTLY takes a SHARE lock.`,
    summary: `CREATE INDEX blocks writes to ${table} while it builds: add CONCURRENTLY.`,
    location: { file, line: 3, column: 1 },
    fix: { sql: `CREATE INDEX CONCURRENTLY i ON ${table} (x);` },
  });
  function longHistory(findings: Finding[]): AuditResult {
    const base = exampleLikeResult(findings);
    base.sets[0].set.files = files.map((path, order) => ({ path, order, runsInTransaction: true }));
    return base;
  }
  const old = [lock(files[0], "call_logs"), lock(files[1], "call_logs"), lock(files[2], "users", "noted")];
  const recent = [lock(files[3], "users"), lock(files[5], "call_logs")];
  const importantOld = lock(files[0], "sites", "important");
  const text = render(longHistory([...old, ...recent, importantOld]));

  it("groups ROUTINE and NOTED lock findings on files before the newest three into one collapsed section with a count and the largest tables", () => {
    const grouped = section(text, "## Lock Findings on Migrations That Already Ran");
    expect(grouped).toContain("<details>\n<summary>3 lock findings in 3 older migration files; largest tables touched: call_logs (10,000,000 rows), users (1×)</summary>");
    expect(grouped).toContain("- `supabase/migrations/20240100000000_step.sql:3` — CREATE INDEX blocks writes to call_logs while it builds: add CONCURRENTLY.");
    expect(grouped.indexOf("</details>")).toBeGreaterThan(grouped.indexOf("20240102000000_step.sql"));
    expect(section(text, "## TL;DR (Pre-Triaged)")).toContain("- 3 lock findings on migrations that already ran, grouped under Lock Findings on Migrations That Already Ran");
  });

  it("keeps recent files' lock findings and IMPORTANT ones in the detailed list", () => {
    const detailed = section(text, "## Detailed Findings");
    expect(detailed).toContain("`supabase/migrations/20240103000000_step.sql:3`");
    expect(detailed).toContain("`supabase/migrations/20240105000000_step.sql:3`");
    expect(detailed).toContain("**Location:** `supabase/migrations/20240100000000_step.sql:3`");
    expect(detailed).not.toContain("20240101000000_step.sql");
    expect(detailed.match(/^### \d+\./gm)).toHaveLength(3);
  });

  it("adds no section when every lock finding is recent", () => {
    expect(render(longHistory(recent))).not.toContain("Lock Findings on Migrations That Already Ran");
  });
});
