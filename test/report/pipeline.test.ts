// Renderers over a real audit of a fixture repository, with PostgreSQL's own catalog (PGlite)
// as the judge of which foreign keys an index covers and how many indexes the migrations build.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG, type AuditConfig } from "../../src/core/config.js";
import { renderJson } from "../../src/report/json.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { buildSarif } from "../../src/report/sarif.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { fsSource } from "../../src/source/fs-source.js";
import { initParser, parseSql } from "../../src/sql/parser.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/call-widget-app", import.meta.url));
const MIGRATIONS = path.join(FIXTURE, "supabase/migrations");
const config: AuditConfig = { ...DEFAULT_CONFIG, tables: { widget_pageviews: { rows: 100_000_000, appendOnly: true } } };

let db: PGlite;
let result: AuditResult;
let markdown: string;

/** Per foreign key, whether some btree index has exactly the FK's columns as its leading keys, with no predicate or only IS NOT NULL on them. */
async function catalogCoverage(): Promise<Map<string, boolean>> {
  const fks = await db.query<{ tbl: string; cols: string[]; conkey: number[]; conrelid: number }>(`
    SELECT c.conrelid::regclass::text AS tbl, c.conrelid::int AS conrelid, c.conkey::int[] AS conkey,
           ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS cols
    FROM pg_constraint c WHERE c.contype = 'f'`);
  const indexes = await db.query<{ indrelid: number; keys: number[]; nkeys: number; method: string; pred: string | null }>(`
    SELECT i.indrelid::int AS indrelid, i.indkey::int2[]::int[] AS keys, i.indnkeyatts AS nkeys, am.amname AS method,
           pg_get_expr(i.indpred, i.indrelid) AS pred
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam`);
  const verdicts = new Map<string, boolean>();
  for (const fk of fks.rows) {
    const wanted = [...fk.conkey].sort().join(",");
    const covered = indexes.rows.some((ix) => {
      if (ix.indrelid !== fk.conrelid || ix.method !== "btree" || ix.nkeys < fk.conkey.length) return false;
      const leading = ix.keys.slice(0, fk.conkey.length);
      if ([...leading].sort().join(",") !== wanted) return false;
      if (ix.pred === null) return true;
      return ix.pred
        .replace(/^\(|\)$/g, "")
        .split(" AND ")
        .every((term) => fk.cols.some((c) => term.replace(/[()]/g, "") === `${c} IS NOT NULL`));
    });
    verdicts.set(`${fk.tbl}|${fk.cols.join(", ")}`, covered);
  }
  return verdicts;
}

beforeAll(async () => {
  await initParser();
  db = new PGlite();
  for (const file of readdirSync(MIGRATIONS).sort()) await db.exec(readFileSync(path.join(MIGRATIONS, file), "utf8"));
  result = await audit(fsSource(FIXTURE), { config });
  markdown = renderMarkdown(result, { version: "0.1.0", date: "2026-01-02", config, subject: "call-widget-app" });
}, 60_000);

afterAll(async () => {
  await db?.close();
});

function fkRows(text: string): Map<string, string> {
  const start = text.indexOf("### Foreign Key Index Coverage");
  const end = text.indexOf("\n## ", start);
  const rows = new Map<string, string>();
  for (const line of text.slice(start, end).split("\n")) {
    const cells = line.split(" | ").map((c) => c.replace(/^\| |\s\|$/g, "").trim());
    if (cells.length < 4 || cells[0] === "Table" || cells[0].startsWith("|-")) continue;
    rows.set(`${cells[0]}|${cells[1]}`, `${cells[2]} ${cells[3]}`);
  }
  return rows;
}

describe("reports from a real audit", () => {
  it("marks each foreign key covered exactly when the catalog has an index leading with its columns", async () => {
    const truth = await catalogCoverage();
    const rows = fkRows(markdown);
    expect([...rows.keys()].sort()).toEqual([...truth.keys()].sort());
    for (const [key, covered] of truth) {
      expect({ key, row: rows.get(key)!.startsWith(covered ? "✅" : "❌") }).toEqual({ key, row: true });
    }
    expect(truth.get("call_logs|site_id")).toBe(false);
    expect(truth.get("widget_pageviews|pool_id")).toBe(false);
    expect(rows.get("agent_profiles|user_id")).toBe("✅ Via UNIQUE constraint");
    expect(rows.get("agent_pool_members|pool_id")).toBe("✅ Via PRIMARY KEY");
    expect(rows.get("call_logs|pool_id")).toBe("✅ Via idx_call_logs_pool_created");
    expect(rows.get("call_logs|site_id")).toMatch(/^❌ 🟢 ROUTINE - Foreign key call_logs\(site_id\)/);
  });

  it("counts the indexes the catalog has, in total and per table", async () => {
    const counts = await db.query<{ tablename: string; n: number }>(
      "SELECT tablename, count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public' GROUP BY tablename ORDER BY n DESC, tablename",
    );
    const total = counts.rows.reduce((n, r) => n + r.n, 0);
    expect(markdown).toContain(`Total indexes identified in migrations: **${total}**`);
    const appendix = markdown.slice(markdown.indexOf("**By Table (top"));
    for (const row of counts.rows) expect(appendix).toContain(`- ${row.tablename}: ${row.n} ${row.n === 1 ? "index" : "indexes"}\n`);
  });

  it("shows the size-hinted table first, and the redundant index in its row", () => {
    const table = markdown.slice(markdown.indexOf("### High-Volume Tables"), markdown.indexOf("### Foreign Key Index Coverage"));
    const firstRow = table.split("\n").find((l) => l.startsWith("| ") && !l.startsWith("| Table"));
    expect(firstRow).toMatch(/^\| widget_pageviews \|/);
    expect(table).toMatch(/\| call_logs \| organization_id \| ✅ idx_call_logs_organization_id \| 🟢 ROUTINE - .*idx_call_logs_org_created/);
  });

  it("writes JSON whose findings carry the contract fields and parseable fix SQL", () => {
    const report = JSON.parse(renderJson(result, "0.1.0"));
    expect(report.summary.findings).toBe(result.findings.length);
    expect(report.summary.statements).toBe(result.stats.statements);
    const ids = new Set<string>();
    for (const f of report.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(["id", "rule", "severity", "table", "columns", "message", "location"]));
      expect(["important", "routine", "noted"]).toContain(f.severity);
      expect(f.location.file).toMatch(/^supabase\/migrations\/\d+_[a-z_]+\.sql$/);
      expect(f.location.line).toBeGreaterThanOrEqual(1);
      if (f.fix) expect({ sql: f.fix.sql, ok: parseSql(f.fix.sql).ok }).toEqual({ sql: f.fix.sql, ok: true });
      ids.add(f.id);
    }
    expect(ids.size).toBe(report.findings.length);
    const rules = new Set(report.findings.map((f: { rule: string }) => f.rule));
    expect([...rules]).toEqual(expect.arrayContaining(["fk-index", "redundant-index"]));
  });

  it("lists every rule in SARIF and one result per finding", () => {
    const log = buildSarif(result, { version: "0.1.0", rules: ALL_RULES }) as any;
    const ruleIds = log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const rule of ALL_RULES) expect(ruleIds).toContain(rule.id);
    expect(log.runs[0].results).toHaveLength(result.findings.length);
  });
});

describe("a repository with two migration sets", () => {
  it("writes the schema sections once per set and tags findings with their set", async () => {
    const monorepo = fileURLToPath(new URL("./fixtures/monorepo", import.meta.url));
    const twoSets = await audit(fsSource(monorepo), { config: DEFAULT_CONFIG });
    expect(twoSets.sets.map((s) => s.set.name).sort()).toEqual(["services/accounts/migrations", "services/billing/migrations"]);
    const text = renderMarkdown(twoSets, { version: "0.1.0", date: "2026-01-02", config: DEFAULT_CONFIG });
    const accounts = text.slice(text.indexOf("## Index Analysis — `services/accounts/migrations`"), text.indexOf("## Index Analysis — `services/billing/migrations`"));
    expect(accounts).toMatch(/\| sessions \| account_id \| ❌ \| 🟢 ROUTINE - /);
    expect(accounts).not.toContain("invoices");
    const billing = text.slice(text.indexOf("## Index Analysis — `services/billing/migrations`"), text.indexOf("## Detailed Findings"));
    expect(billing).toContain("| invoices | customer_id | ✅ | Via invoices_customer_id_idx |");
    expect(text).toContain("(migration set `services/accounts/migrations`)");
    expect(text).toContain("## Appendix: Existing Index Summary — `services/billing/migrations`");
    const json = JSON.parse(renderJson(twoSets, "0.1.0"));
    expect(json.findings.find((f: { rule: string }) => f.rule === "fk-index").set).toBe("services/accounts/migrations");
  });
});
