// When the planner overrules the static matcher: a query the matcher leaves without a finding (it calls
// it served, or recommends nothing because an index with the same keys exists) that PostgreSQL still
// reads whole at the planned size becomes a query-index finding, and is listed in the report. The
// regression list at the end records every such disagreement found on the bundled examples.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { loadConfig } from "../../src/config/load.js";
import type { Finding } from "../../src/core/types.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { fsSource } from "../../src/source/fs-source.js";
import { REPO_ROOT, scratch } from "../cli/harness.js";

async function auditWithVerify(root: string): Promise<AuditResult> {
  const loaded = await loadConfig({ root });
  if (!loaded.ok) throw new Error(loaded.message);
  return audit(fsSource(root), { config: { ...loaded.config, verify: true } });
}

// An index under its own collation takes only clauses of that collation (PostgreSQL's
// IndexCollMatchesExprColl): `sku = $1` compares under the column's default collation, so
// products_sku_c cannot serve it. This was a disagreement the planner overruled (the recommender, seeing
// an index on (sku) already, offered none); the static rule now compares keys with their collation and
// finds it itself, so the planner only confirms the fix and nothing is left to overrule.
const MIGRATION = `create table products (id bigint primary key, sku text not null, name text not null, state text not null);
create index products_sku_c on products (sku collate "C");
create index products_name on products (name);
create table labels (id bigint primary key, code text not null);
create index labels_code_c on labels (code collate "C");
`;

const CODE = `export async function bySku(sku: string) {
  return supabase.from("products").select("*").eq("sku", sku);
}
export async function byName(name: string) {
  return supabase.from("products").select("*").eq("name", name).limit(1);
}
export async function otherStates(state: string) {
  return supabase.from("products").select("*").neq("state", state);
}
export async function labelByCode(code: string) {
  return supabase.from("labels").select("*").eq("code", code);
}
`;

const CONFIG = `code:
  paths: [src]
tables:
  products:
    rows: 2000000
`;

describe("a query served only by an index under another collation", () => {
  const tmp = scratch("index-audit-overruled-");
  const repo = tmp.repo("app", {
    "supabase/migrations/20240101000000_init.sql": MIGRATION,
    "src/data.ts": CODE,
    ".github/index-audit.yml": CONFIG,
  });
  let result: AuditResult;
  const queryIndexAt = (line: number) => result.findings.filter((f) => f.rule === "query-index" && f.location.file === "src/data.ts" && f.location.line === line);
  beforeAll(async () => {
    result = await auditWithVerify(repo);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it("is a static query-index finding for the plain key, which the planner uses at the hinted size", () => {
    const [sku] = queryIndexAt(2);
    expect(sku).toBeDefined();
    expect(sku.severity).toBe("important");
    expect(sku.message).toBe("`bySku()` filters `products` by sku and no index serves it: add idx_products_sku on (sku).");
    expect(sku.fix!.sql).toBe("CREATE INDEX IF NOT EXISTS idx_products_sku ON products (sku);");
    expect(sku.evidence).toMatchObject({ rows: 2_000_000, hinted: true, usesIndex: true, query: "SELECT * FROM products WHERE sku = $1" });
    expect(sku.evidence!.before.node).toBe("Seq Scan");
    expect(sku.evidence!.after).toMatchObject({ node: "Index Scan", index: "idx_products_sku" });
  });

  it("is ROUTINE on a table planned at the default size, without a hint", () => {
    const label = result.findings.find((f) => f.rule === "query-index" && f.table === "public.labels")!;
    expect(label.location.line).toBe(11);
    expect(label.severity).toBe("routine");
    expect(label.columns).toEqual(["code"]);
    expect(label.evidence).toMatchObject({ rows: 100_000, hinted: false, usesIndex: true });
  });

  it("leaves alone a query the planner serves with the index the matcher named, and one the matcher declined as non-selective", () => {
    expect(queryIndexAt(5)).toEqual([]);
    expect(queryIndexAt(8)).toEqual([]);
  });

  it("leaves the planner nothing to overrule", () => {
    expect(result.verification!.overruled).toEqual([]);
  });

  it("shows the hinted table's queries in the what-if table, today and with the recommended index", async () => {
    const loaded = await loadConfig({ root: repo });
    if (!loaded.ok) throw new Error(loaded.message);
    const md = renderMarkdown(result, { version: "0", date: "2026-01-01", config: loaded.config });
    const section = md.slice(md.indexOf("## What if"), md.indexOf("## Query"));
    expect(section).toContain("### `products` at 2,000,000 rows");
    expect(section).not.toContain("`labels`");
    const row = section.split("\n").find((l) => l.includes("`WHERE sku = $1`"))!;
    expect(row).toContain("bySku() `src/data.ts:2`");
    expect(row).toMatch(/\| Seq Scan, cost 25,001 \| Index Scan using `idx_products_sku`, cost [\d.,]+ \|$/);
    expect(md).not.toContain("The planner overruled the static matcher");
  });
});

/**
 * Every disagreement between the static matcher and the planner found on the bundled examples, by
 * example: `table: query`. The matcher is fixed when one appears here; the list then shrinks.
 */
const EXAMPLE_DISAGREEMENTS: Record<string, string[]> = {
  "drizzle-app": [],
  "kysely-app": [],
  "prisma-app": [],
  "prisma-storefront": [],
};

describe.each(Object.entries(EXAMPLE_DISAGREEMENTS))("the %s example, verified", (example, known) => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditWithVerify(join(REPO_ROOT, "examples", example));
  }, 180_000);

  it("has exactly the known disagreements between the matcher and the planner", () => {
    expect(result.verification!.overruled.map((c) => `${c.table}: ${c.query}`)).toEqual(known);
  });
});
