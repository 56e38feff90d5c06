// Fixes of different rules that replace the same migration statement: one suggestion per statement, and the
// SQL it holds runs in PostgreSQL (PGlite, PostgreSQL 18) in place of the statement.
import { describe, expect, it } from "vitest";
import { reconcileDrops, reconcileReplacements } from "../../src/advisor/fix-conflicts.js";
import type { Finding, Statement } from "../../src/core/types.js";
import { runRules } from "../../src/rules/run.js";
import { afterBase, buildInput, config } from "../rules/helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const db = pgliteForFile();

const BASE = "CREATE TABLE parcels (id bigint PRIMARY KEY, label text);\nINSERT INTO parcels VALUES (1, 'a'), (2, 'b');";
const CHANGE = "ALTER TABLE parcels ALTER COLUMN label SET NOT NULL;";

describe("two fixes that replace one statement", () => {
  it("a lock_timeout prefix and a NOT VALID / VALIDATE rewrite become one fix, which runs in place of the statement", async () => {
    const findings = runRules([buildInput(afterBase(BASE, CHANGE))], [], config(), false);
    const here = findings.filter((f) => f.location.file === "m/002_change.sql" && f.location.line === 1);
    const rules = here.map((f) => f.rule).sort();
    expect(rules).toEqual(["constraint-validation", "lock-timeout"]);
    const replacing = here.filter((f) => f.fix?.placement === "replace");
    // One suggestion for the line: the rewrite, with the setting before it and again in its later migration.
    expect(replacing.map((f) => f.rule)).toEqual(["constraint-validation"]);
    const [carrier] = replacing;
    const timeout = here.find((f) => f.rule === "lock-timeout")!;
    const sql = carrier.fix!.sql.split("\n");
    expect(sql[0]).toBe("SET lock_timeout = '5s';");
    expect(sql[1]).toMatch(/^ALTER TABLE parcels ADD CONSTRAINT .* CHECK \(label IS NOT NULL\) NOT VALID;$/);
    expect(sql.slice(2)).toEqual([
      "ALTER TABLE parcels VALIDATE CONSTRAINT parcels_label_not_null_check;",
      "ALTER TABLE parcels ALTER COLUMN label SET NOT NULL;",
      "ALTER TABLE parcels DROP CONSTRAINT parcels_label_not_null_check;",
    ]);
    expect(carrier.message).toContain(`for the lock-timeout finding on this statement (${timeout.id})`);
    expect(timeout.fix).toBeUndefined();
    expect(timeout.message).toContain(`The fix of the constraint-validation finding on this statement (${carrier.id}) rewrites it and puts \`SET lock_timeout = '5s'\` first`);

    // The combined fix runs where the statement was, and leaves the column NOT NULL with no helper constraint.
    const pg = db();
    await pg.exec(BASE);
    for (const line of carrier.fix!.sql.split("\n").filter((l) => !l.startsWith("--"))) await pg.exec(line);
    const column = await pg.query<{ attnotnull: boolean }>("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'parcels'::regclass AND attname = 'label'");
    expect(column.rows).toEqual([{ attnotnull: true }]);
    const checks = await pg.query("SELECT conname FROM pg_constraint WHERE conrelid = 'parcels'::regclass AND contype = 'c'");
    expect(checks.rows).toEqual([]);
  });

  it("two rewrites neither of which holds the other: the first keeps its fix, the later one refers to it and keeps its SQL in the details", () => {
    const statement = { sql: "ALTER TABLE parcels ALTER COLUMN label TYPE varchar(40);", location: { file: "m/002_change.sql", line: 3, column: 1 } } as Statement;
    const finding = (rule: string, id: string, severity: Finding["severity"], sql: string): Finding => ({
      id,
      rule,
      severity,
      table: "public.parcels",
      columns: ["label"],
      message: `${rule} says so.`,
      location: statement.location,
      fix: { sql, placement: "replace" },
    });
    const first = finding("rule-b", "b1", "important", "ALTER TABLE parcels ADD COLUMN label_v text;");
    const later = finding("rule-a", "a1", "routine", "ALTER TABLE parcels ALTER COLUMN label TYPE text;");
    const untouched = finding("rule-c", "c1", "routine", "CREATE INDEX CONCURRENTLY parcels_label_idx ON parcels (label);");
    untouched.location = { ...statement.location, line: 9 };
    const changed = reconcileReplacements([later, first, untouched], (file, line) => (file === statement.location.file && line === 3 ? statement : undefined));
    expect(changed).toEqual([later]);
    expect(first.fix?.sql).toBe("ALTER TABLE parcels ADD COLUMN label_v text;");
    expect(later.fix).toBeUndefined();
    expect(later.message).toContain("The rule-b finding on this statement (b1) replaces it too: apply that fix first");
    expect(later.details).toContain("ALTER TABLE parcels ALTER COLUMN label TYPE text;");
    expect(untouched.fix?.sql).toContain("CREATE INDEX CONCURRENTLY");
  });

  it("a rewrite that spans a later migration sets lock_timeout again at its start: a setting lasts one session at most", () => {
    const statement = { sql: "ALTER TABLE parcels ALTER COLUMN label SET NOT NULL", location: { file: "m/002_change.sql", line: 1, column: 1 } } as Statement;
    const make = (rule: string, severity: Finding["severity"], sql: string): Finding => ({ id: rule, rule, severity, table: "public.parcels", columns: ["label"], message: "m.", location: statement.location, fix: { sql, placement: "replace" } });
    const rewrite = make("rewrite", "routine", "ALTER TABLE parcels ADD CONSTRAINT c CHECK (label IS NOT NULL) NOT VALID;\n-- A later migration of its own:\nALTER TABLE parcels VALIDATE CONSTRAINT c;");
    // The prefix finding ranks first and quotes the statement with its own spacing and terminator.
    const prefix = make("prefix", "important", "SET LOCAL lock_timeout = '5s';\nALTER TABLE parcels\n  ALTER COLUMN label SET NOT NULL;");
    reconcileReplacements([prefix, rewrite], () => statement);
    expect(rewrite.fix?.sql.split("\n")).toEqual([
      "SET LOCAL lock_timeout = '5s';",
      "ALTER TABLE parcels ADD CONSTRAINT c CHECK (label IS NOT NULL) NOT VALID;",
      "-- A later migration of its own:",
      "SET LOCAL lock_timeout = '5s';",
      "ALTER TABLE parcels VALIDATE CONSTRAINT c;",
    ]);
    expect(prefix.fix).toBeUndefined();
  });

  it("identical replacements are left alone", () => {
    const statement = { sql: "ALTER TABLE parcels ALTER COLUMN label SET NOT NULL;", location: { file: "m/002_change.sql", line: 1, column: 1 } } as Statement;
    const make = (rule: string): Finding => ({ id: rule, rule, severity: "routine", table: "public.parcels", columns: [], message: "m.", location: statement.location, fix: { sql: "SELECT 1;", placement: "replace" } });
    const pair = [make("x"), make("y")];
    expect(reconcileReplacements(pair, () => statement)).toEqual([]);
    expect(pair.every((f) => f.fix?.sql === "SELECT 1;")).toBe(true);
  });
});

describe("two fixes that drop the same index", () => {
  const SCHEMA = "CREATE TABLE shipments (id bigint PRIMARY KEY, carrier_id bigint NOT NULL, lane_id bigint NOT NULL, state text NOT NULL, created_at timestamptz NOT NULL);\nCREATE INDEX shipments_carrier_id_idx ON shipments (carrier_id);";
  const make = (id: string, file: string, keys: string, line: number): Finding => ({
    id,
    rule: "query-index",
    severity: "routine",
    table: "public.shipments",
    columns: keys.split(", "),
    message: `Add an index on (${keys}).`,
    location: { file, line, column: 1 },
    fix: {
      sql: `DROP INDEX "shipments_carrier_id_idx";\nCREATE INDEX "shipments_${keys.replace(/, /g, "_")}_idx" ON "shipments"(${keys});`,
      placement: "separate",
      declared: { file: "prisma/schema.prisma", line: 40, action: "replace", text: `@@index([${keys}])`, language: "prisma" },
    },
  });

  it("the first keeps the drop and its declaration's replacement; the later one only adds, and applying both in order succeeds", async () => {
    const later = make("q2", "src/routes.ts", "carrier_id, lane_id, created_at", 12);
    const first = make("q1", "src/jobs.ts", "carrier_id, lane_id, state, created_at", 30);
    const changed = reconcileDrops([later, first]);
    expect(changed).toEqual([later]);
    expect(first.fix?.sql.startsWith('DROP INDEX "shipments_carrier_id_idx";')).toBe(true);
    expect(later.fix?.sql).toBe('CREATE INDEX "shipments_carrier_id_lane_id_created_at_idx" ON "shipments"(carrier_id, lane_id, created_at);');
    expect(later.fix?.declared).toMatchObject({ action: "add", line: 40, text: "@@index([carrier_id, lane_id, created_at])" });
    expect(first.fix?.declared?.action).toBe("replace");
    expect(later.message).toContain("The fix of the query-index finding q1 drops shipments_carrier_id_idx too; this one only adds its index");

    // Both fixes, one after the other, in either order: no statement fails.
    for (const order of [[first, later], [later, first]]) {
      const pg = db();
      await pg.exec("DROP TABLE IF EXISTS shipments;");
      await pg.exec(SCHEMA);
      for (const f of order) await pg.exec(f.fix!.sql);
      const left = await pg.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'shipments' ORDER BY indexname");
      expect(left.rows.map((r) => r.indexname)).toEqual(["shipments_carrier_id_lane_id_created_at_idx", "shipments_carrier_id_lane_id_state_created_at_idx", "shipments_pkey"]);
    }
  });
});
