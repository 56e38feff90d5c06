import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import type { Finding, Severity } from "../../src/core/types.js";
import { diffFindings, conclusionFor } from "../../src/diff/findings.js";
import {
  CHECK_OUTPUT_LIMIT,
  COMMENT_LIMIT,
  SUMMARY_MARKER,
  batches,
  findingIdsIn,
  findingMarker,
  fixedIdsIn,
  renderCheckRunOutput,
  renderFixedReply,
  renderReviewComment,
  renderSummaryComment,
  toAnnotations,
} from "../../src/report/github.js";
import { docsUrl } from "../../src/rules/rule.js";

function finding(id: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    rule: "fk-index",
    severity,
    table: "public.call_logs",
    columns: ["site_id"],
    message: `Foreign key call_logs(site_id) has no index (${id}).`,
    location: { file: "supabase/migrations/001.sql", line: 7, column: 1 },
    fix: { sql: "CREATE INDEX IF NOT EXISTS idx_call_logs_site_id ON public.call_logs (site_id);" },
    ...extra,
  };
}

const sha = "0123456789abcdef0123456789abcdef01234567";

describe("check-run output and summary comment", () => {
  it("has the audit report's shape: TL;DR counts, new findings with SQL, fixed credited, debt collapsed", () => {
    const diff = diffFindings([finding("old", "routine"), finding("gone", "important")], [finding("old", "routine"), finding("new", "important")]);
    const report = { diff, conclusion: conclusionFor(diff, "important", "success"), config: DEFAULT_CONFIG, headSha: sha, baseSha: sha, notes: ["a note"] };
    const output = renderCheckRunOutput(report);
    expect(output.title).toBe("1 new finding at or above important");
    expect(output.summary).toContain("## TL;DR");
    expect(output.summary).toContain("**New:** 1 (1 important, 0 routine, 0 noted)");
    expect(output.summary).toContain("CREATE INDEX IF NOT EXISTS idx_call_logs_site_id");
    expect(output.summary).toMatch(/## Fixed by this change ✅\n\n- 🟡 IMPORTANT `fk-index`/);
    expect(output.summary).toMatch(/<details>\n<summary>Existing debt: 1 finding/);
    expect(output.summary).toContain("> ⚠️ a note");
    const comment = renderSummaryComment(report);
    expect(comment.startsWith(SUMMARY_MARKER)).toBe(true);
  });

  it("stays within GitHub's limits with thousands of findings and says what it cut", () => {
    const many = Array.from({ length: 3000 }, (_, i) => finding(`f${i}`, "important", { details: "x".repeat(200) }));
    const diff = diffFindings([], many);
    const report = { diff, conclusion: "failure" as const, config: DEFAULT_CONFIG, headSha: sha, baseSha: null, notes: [] };
    const output = renderCheckRunOutput(report);
    expect(output.summary.length).toBeLessThanOrEqual(CHECK_OUTPUT_LIMIT);
    expect(output.summary).toMatch(/Cut to fit GitHub's size limit: \d+ more findings not shown/);
    expect(renderSummaryComment(report).length).toBeLessThanOrEqual(COMMENT_LIMIT);
  });
});

describe("annotations", () => {
  it("map severities to levels and carry the fix in raw_details", () => {
    const annotations = toAnnotations([finding("a", "important"), finding("b", "routine"), finding("c", "noted")]);
    expect(annotations.map((a) => a.annotation_level)).toEqual(["failure", "warning", "notice"]);
    expect(annotations[0]).toMatchObject({ path: "supabase/migrations/001.sql", start_line: 7, end_line: 7, title: "fk-index: public.call_logs (site_id)" });
    expect(annotations[0].raw_details).toContain("CREATE INDEX");
    expect(batches(Array.from({ length: 120 }, (_, i) => i), 50).map((b) => b.length)).toEqual([50, 50, 20]);
  });
});

describe("review comments", () => {
  it("carry the why, the doc link, a suggestion block and a marker that can be read back", () => {
    const f = finding("abc123", "important", { details: "Each delete scans call_logs." });
    const body = renderReviewComment(f, { path: f.location.file, line: 7, suggestion: ["alter table x add ...;", f.fix!.sql] });
    expect(body).toContain(docsUrl("fk-index"));
    expect(body).toContain("Each delete scans call_logs.");
    expect(body).toContain("```suggestion\nalter table x add ...;\nCREATE INDEX IF NOT EXISTS idx_call_logs_site_id");
    expect(body).toContain(findingMarker("abc123"));
    expect(findingIdsIn(body)).toEqual(["abc123"]);
    expect(fixedIdsIn(renderFixedReply(f.id, sha))).toEqual(["abc123"]);
    expect(findingIdsIn(renderFixedReply(f.id, sha))).toEqual([]);
  });

  it("shows the SQL without a suggestion when the fix is not a line change", () => {
    const f = finding("q1", "important", { location: { file: "src/calls.ts", line: 4, column: 1 } });
    const body = renderReviewComment(f, { path: "src/calls.ts", line: 4 });
    expect(body).not.toContain("```suggestion");
    expect(body).toContain("```sql\nCREATE INDEX");
  });
});

describe("what a reviewer reads first", () => {
  const fk = finding("fk1", "important", {
    summary: "Deletes on sites scan call_logs: add idx_call_logs_site_id.",
    message: "Foreign key call_logs(site_id) → sites(id) has no index on call_logs(site_id), so deletes and key updates on sites scan call_logs.",
    details: "IMPORTANT because the code deletes sites rows (src/sites.ts:40).",
    related: [{ file: "src/sites.ts", line: 40, column: 3 }],
  });

  it("a review comment leads with one short line, then the suggestion, then the reasoning and call sites collapsed", () => {
    const body = renderReviewComment(fk, { path: fk.location.file, line: 7, suggestion: ["create table ...;", fk.fix!.sql] });
    const lines = body.split("\n");
    expect(lines[0]).toBe("**🟡 IMPORTANT** Deletes on sites scan call_logs: add idx_call_logs_site_id.");
    const suggestion = body.indexOf("```suggestion");
    const details = body.indexOf("<details>");
    expect(suggestion).toBeGreaterThan(0);
    expect(details).toBeGreaterThan(suggestion);
    const collapsed = body.slice(details, body.indexOf("</details>"));
    expect(collapsed).toContain("<summary>Why (<code>fk-index</code>)</summary>");
    expect(collapsed).toContain("so deletes and key updates on sites scan call_logs.");
    expect(collapsed).toContain("IMPORTANT because the code deletes sites rows");
    expect(collapsed).toContain("`supabase/migrations/001.sql:7`, `src/sites.ts:40`");
    expect(collapsed).toContain(docsUrl("fk-index"));
    // Nothing but the marker after the collapsed reasoning.
    expect(body.slice(body.indexOf("</details>")).trim()).toBe(`</details>\n\n${findingMarker("fk1")}`);
  });

  it("builds the short line from the finding when the rule gives none", () => {
    const query = finding("q2", "important", {
      rule: "query-index",
      columns: ["reconnect_token"],
      message: "A long sentence about the query.",
      fix: { sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_call_logs_reconnect_token ON call_logs (reconnect_token);" },
    });
    const body = renderReviewComment(query, { path: "src/calls.ts", line: 4 });
    expect(body.split("\n")[0]).toBe("**🟡 IMPORTANT** Missing index on call_logs (reconnect_token): add idx_call_logs_reconnect_token.");
  });

  it("the check run summary shows each new finding in the same order: short line, SQL, collapsed reasoning", () => {
    const diff = diffFindings([], [fk]);
    const summary = renderCheckRunOutput({ diff, conclusion: "failure", config: DEFAULT_CONFIG, headSha: sha, baseSha: null, notes: [] }).summary;
    const block = summary.slice(summary.indexOf("#### "));
    const short = block.indexOf("Deletes on sites scan call_logs: add idx_call_logs_site_id.");
    const sql = block.indexOf("```sql\nCREATE INDEX");
    const details = block.indexOf("<details>\n<summary>Why, and where it is used</summary>");
    expect(short).toBeGreaterThan(0);
    expect(sql).toBeGreaterThan(short);
    expect(details).toBeGreaterThan(sql);
    expect(block.indexOf("so deletes and key updates on sites scan call_logs")).toBeGreaterThan(details);
  });
});
