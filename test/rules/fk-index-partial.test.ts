// A composite foreign key whose leading columns only some index covers: the RI check reads the rows of
// one leading key through that index, not the whole table.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, QueryKind } from "../../src/core/types.js";
import { fkIndex } from "../../src/rules/fk-index.js";
import { startPGlite } from "../support/pglite.js";
import { check } from "./helpers.js";

const SCHEMA = `CREATE TABLE teams (id int PRIMARY KEY);
CREATE TABLE categories (team_id int REFERENCES teams (id), slug text, PRIMARY KEY (team_id, slug));
CREATE TABLE payments (
  id int PRIMARY KEY,
  team_id int NOT NULL,
  category_slug text,
  FOREIGN KEY (team_id, category_slug) REFERENCES categories (team_id, slug)
);
CREATE INDEX payments_team ON payments (team_id);
`;

function pattern(table: string, kind: QueryKind, file = "src/app.ts", line = 10): AccessPattern {
  return { table, kind, predicates: [], hasOr: false, orderBy: [], limited: false, joins: [], inLoop: false, source: "sql-in-code", location: { file, line, column: 1 }, suppressions: [] };
}

function paymentsFinding(sql: string, options: Parameters<typeof check>[2] = {}) {
  const found = check(fkIndex, sql, options).filter((f) => f.table === "public.payments");
  expect(found).toHaveLength(1);
  return found[0];
}

describe("fk-index: an index on a leading part of a composite key", () => {
  it("is NOTED, saying the check reads one team's rows through that index, with the full index as the fix", () => {
    const finding = paymentsFinding(SCHEMA, { patterns: [pattern("categories", "delete", "src/categories.ts", 12)] });
    expect(finding.severity).toBe("noted");
    expect(finding.message).toBe(
      "Foreign key payments(team_id, category_slug) → categories(team_id, slug) is checked through payments_team, which covers team_id only, so each delete or key update on categories reads every payments row with that team_id.",
    );
    expect(finding.summary).toBe("Deletes on categories read all of one team_id's rows in payments (payments_team covers team_id, not category_slug): add idx_payments_team_id_category_slug.");
    expect(finding.details!.split("\n\n")[0]).toBe(
      "NOTED because payments_team already bounds the check to the payments rows of one team_id, and nothing shows those rows being many: no size hint, and the code the audit read never inserts into payments.",
    );
    expect(finding.details).not.toContain("reads all of");
    expect(finding.fix?.sql).toBe("CREATE INDEX IF NOT EXISTS idx_payments_team_id_category_slug ON payments (team_id, category_slug);");
  });

  it("is ROUTINE when a size hint or the code says one team's rows are many, and says which", () => {
    const large = paymentsFinding(SCHEMA, { config: { tables: { payments: { rows: 2_000_000 } } } });
    expect(large.severity).toBe("routine");
    expect(large.details!.split("\n\n")[0]).toBe(
      "ROUTINE because payments_team already bounds the check to the payments rows of one team_id, but payments is expected to hold 2,000,000 rows (size hint), so one team_id can have many of them.",
    );
    const appended = paymentsFinding(SCHEMA, { patterns: [pattern("payments", "insert", "src/pay.ts", 5)] });
    expect(appended.severity).toBe("routine");
    expect(appended.details).toContain("but the code inserts into payments (src/pay.ts:5)");
    // Never IMPORTANT, even with a live delete path and a growing child.
    const both = paymentsFinding(SCHEMA, { patterns: [pattern("categories", "delete"), pattern("payments", "insert")], config: { tables: { payments: { rows: 2_000_000 } } } });
    expect(both.severity).toBe("routine");
  });

  it("names the index that bounds the key's first column, and the other one the planner may read", () => {
    const finding = paymentsFinding(SCHEMA + "CREATE INDEX payments_slug ON payments (category_slug);\nCREATE INDEX payments_team_wide ON payments (team_id, id);");
    expect(finding.message).toContain("checked through payments_team, which covers team_id only");
    expect(finding.details).toContain("The planner may read payments_slug (bounded by category_slug) instead");
    expect(finding.details).not.toContain("payments_team_wide");
  });

  it("does not count a partial index whose predicate the check does not prove", () => {
    const finding = paymentsFinding(SCHEMA.replace("CREATE INDEX payments_team ON payments (team_id);", "CREATE INDEX payments_team ON payments (team_id) WHERE category_slug = 'x';"));
    expect(finding.message).toContain("has no index on payments(team_id, category_slug)");
    expect(finding.message).not.toContain("checked through");
    expect(finding.details).toContain("each of those checks reads all of public.payments");
  });
});

describe("PostgreSQL's RI check with an index on a leading part of the key", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
    await db.exec(SCHEMA);
    await db.exec(`INSERT INTO teams SELECT t FROM generate_series(1, 50) t;
      INSERT INTO categories SELECT t, 's' || s FROM generate_series(1, 50) t, generate_series(1, 20) s;
      INSERT INTO payments SELECT i, i % 50 + 1, 's' || (i % 20 + 1) FROM generate_series(1, 20000) i;
      ANALYZE;`);
  });
  afterAll(() => db.close());

  async function riPlan(): Promise<string> {
    await db.exec("DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan;");
    await db.exec("PREPARE ri(int, text) AS SELECT 1 FROM ONLY payments WHERE team_id = $1 AND category_slug = $2 FOR KEY SHARE OF payments;");
    const plan = await db.query<{ "QUERY PLAN": string }>("EXPLAIN EXECUTE ri(1, 's1')");
    return plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
  }

  it("reads the leading index for team_id and filters category_slug on each of that team's rows, not a scan of the table", async () => {
    const plan = await riPlan();
    expect(plan).toMatch(/Index Cond: \(team_id = \$1\)/);
    expect(plan).toMatch(/Filter: \(category_slug = \$2\)/);
    expect(plan).not.toContain("Seq Scan");
  });

  it("with the suggested index, finds exactly the referencing rows", async () => {
    const finding = paymentsFinding(SCHEMA);
    await db.exec(finding.fix!.sql);
    const plan = await riPlan();
    expect(plan).toContain("idx_payments_team_id_category_slug");
    expect(plan).toMatch(/Index Cond: \(\(team_id = \$1\) AND \(category_slug = \$2\)\)/);
    expect(plan).not.toContain("Filter:");
  });
});
