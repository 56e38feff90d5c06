import { describe, expect, it } from "vitest";
import { buildJsonReport, renderJson } from "../../src/report/json.js";
import { parseFinding, reconnectFinding, exampleLikeResult, siteFinding } from "./hand-built.js";

describe("JSON report", () => {
  const report = JSON.parse(renderJson(exampleLikeResult(), "1.2.3"));

  it("has the contract's top-level shape", () => {
    expect(Object.keys(report)).toEqual(["tool", "version", "summary", "findings"]);
    expect(report.tool).toBe("index-audit");
    expect(report.version).toBe("1.2.3");
  });

  it("counts findings per severity and per rule, plus files and statements", () => {
    expect(report.summary).toMatchObject({
      findings: 3,
      bySeverity: { important: 2, routine: 1, noted: 0 },
      byRule: { "fk-index": 1, "parse-error": 1, "query-index": 1 },
      files: 5,
      migrationFiles: 3,
      statements: 12,
      codeFiles: 1,
      patterns: 1,
      migrationSets: [{ name: "supabase/migrations", framework: "supabase", files: 2 }],
    });
  });

  it("writes each finding with the contract's fields, most severe first", () => {
    expect(report.findings.map((f: { rule: string }) => f.rule)).toEqual(["query-index", "parse-error", "fk-index"]);
    const lookup = report.findings[0];
    expect(lookup).toEqual({
      id: reconnectFinding.id,
      rule: "query-index",
      severity: "important",
      table: "public.call_logs",
      columns: ["reconnect_token"],
      message: reconnectFinding.message,
      location: { file: "apps/server/src/lib/call-logger.ts", line: 413, column: 7 },
      // A fix always says where it goes; unset means after the statement at the location.
      fix: { sql: reconnectFinding.fix!.sql, placement: "after" },
      details: reconnectFinding.details,
      related: [{ file: "apps/server/src/lib/call-logger.ts", line: 502, column: 7 }],
    });
    // No fix, no key: nothing invented.
    expect(report.findings[1]).not.toHaveProperty("fix");
    expect(report.findings[1]).not.toHaveProperty("key");
  });

  it("keeps the migration set on findings of a multi-set repository", () => {
    const result = exampleLikeResult([{ ...siteFinding, set: "supabase/migrations" }]);
    expect(buildJsonReport(result, "1").findings[0].set).toBe("supabase/migrations");
  });

  it("gives the same bytes for the same result in any finding order", () => {
    const reversed = exampleLikeResult([parseFinding, reconnectFinding, siteFinding]);
    expect(renderJson(reversed, "1.2.3")).toBe(renderJson(exampleLikeResult(), "1.2.3"));
  });
});
