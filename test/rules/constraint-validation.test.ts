import { describe, expect, it } from "vitest";
import { constraintValidation } from "../../src/rules/constraint-validation.js";
import { afterBase, check, type FixtureFile } from "./helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const BASE = "CREATE TABLE parents (id int PRIMARY KEY);\nCREATE TABLE orders (id int PRIMARY KEY, total int, note text, parent_id int);\n";

const later = (sql: string): FixtureFile[] => afterBase(BASE, sql);

const pg = pgliteForFile();

/** Sequential scans of `table` that `sql` makes, read from pg_stat_user_tables. */
async function scansBy(table: string, sql: string): Promise<number> {
  const read = async () => {
    await pg().query("select pg_stat_force_next_flush()");
    return (await pg().query<{ n: number }>(`select seq_scan::int as n from pg_stat_user_tables where relname = $1`, [table])).rows[0].n;
  };
  const before = await read();
  await pg().exec(sql);
  return (await read()) - before;
}

describe("constraint-validation", () => {
  it("reports CHECK without NOT VALID on an existing table, with a NOT VALID + VALIDATE fix that PostgreSQL runs", async () => {
    const [finding, ...rest] = check(constraintValidation, later("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);"));
    expect(rest).toEqual([]);
    expect(finding.message).toContain("ACCESS EXCLUSIVE");
    expect(finding.severity).toBe("routine");
    expect(finding.fix).toEqual({ sql: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;", placement: "replace" });
    await pg().exec("drop table if exists orders, parents cascade;" + BASE + "insert into orders select g, g from generate_series(1, 100) g;");
    expect(await scansBy("orders", "ALTER TABLE orders ADD CONSTRAINT c1 CHECK (total > 0)")).toBe(1);
    expect(await scansBy("orders", "ALTER TABLE orders ADD CONSTRAINT c2 CHECK (total > 0) NOT VALID")).toBe(0);
    await pg().exec(finding.fix!.sql);
  });

  it("puts the VALIDATE in a later migration when the file runs in one transaction, and is silent with NOT VALID or on a new table", () => {
    const [finding] = check(constraintValidation, later("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);"), { framework: "prisma", runsInTransaction: true });
    expect(finding.fix?.sql).toContain("-- A later migration of its own:\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;");
    expect(check(constraintValidation, later("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;"))).toEqual([]);
    expect(check(constraintValidation, BASE + "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);")).toEqual([]);
  });

  it("is IMPORTANT with a size hint of 100,000 rows or more, and NOTED without a fix in a settled migration", () => {
    const sql = "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);";
    expect(check(constraintValidation, later(sql), { config: { tables: { orders: { rows: 5_000_000 } } } })[0].severity).toBe("important");
    const files = [...later(sql), ...[3, 4, 5].map((n) => ({ path: `m/00${n}_more.sql`, sql: "SELECT 1;" }))];
    const [settled] = check(constraintValidation, files);
    expect(settled.severity).toBe("noted");
    expect(settled.fix).toBeUndefined();
  });

  it("reports ADD COLUMN ... DEFAULT ... REFERENCES (PostgreSQL scans) and not the same column without a default (it skips the scan)", async () => {
    const [finding, ...rest] = check(constraintValidation, later("ALTER TABLE orders ADD COLUMN owner_id int DEFAULT 1 REFERENCES parents (id);"));
    expect(rest).toEqual([]);
    expect(finding.columns).toEqual(["owner_id"]);
    expect(check(constraintValidation, later("ALTER TABLE orders ADD COLUMN owner_id int REFERENCES parents (id);"))).toEqual([]);
    expect(check(constraintValidation, later("ALTER TABLE orders ADD COLUMN owner_id int DEFAULT NULL REFERENCES parents (id);"))).toEqual([]);
    await pg().exec("drop table if exists orders, parents cascade;" + BASE + "insert into parents values (1); insert into orders select g, g from generate_series(1, 100) g;");
    expect(await scansBy("orders", "ALTER TABLE orders ADD COLUMN a int REFERENCES parents (id)")).toBe(0);
    expect(await scansBy("orders", "ALTER TABLE orders ADD COLUMN b int DEFAULT 1 REFERENCES parents (id)")).toBe(1);
  });

  it("reports ALTER CONSTRAINT ... ENFORCED, which validates every row", async () => {
    const [finding] = check(constraintValidation, later("ALTER TABLE orders ALTER CONSTRAINT orders_parent_fk ENFORCED;"));
    expect(finding.message).toContain("ALTER CONSTRAINT orders_parent_fk ENFORCED");
    expect(check(constraintValidation, later("ALTER TABLE orders ALTER CONSTRAINT orders_parent_fk NOT ENFORCED;"))).toEqual([]);
    await pg().exec("drop table if exists orders, parents cascade;" + BASE + "insert into orders select g, g from generate_series(1, 100) g;");
    await pg().exec("ALTER TABLE orders ADD CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT ENFORCED");
    expect(await scansBy("orders", "ALTER TABLE orders ALTER CONSTRAINT orders_parent_fk ENFORCED")).toBe(1);
  });

  it("reports SET NOT NULL without a validated CHECK (col IS NOT NULL), with the PostgreSQL 12+ route as a fix that skips the scan", async () => {
    const [finding] = check(constraintValidation, later("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;"));
    expect(finding.columns).toEqual(["note"]);
    expect(finding.fix?.sql).toBe(
      [
        "ALTER TABLE orders ADD CONSTRAINT orders_note_not_null_check CHECK (note IS NOT NULL) NOT VALID;",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_note_not_null_check;",
        "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
        "ALTER TABLE orders DROP CONSTRAINT orders_note_not_null_check;",
      ].join("\n"),
    );
    // The route's own SET NOT NULL, after a validated CHECK, is silent.
    expect(check(constraintValidation, later(finding.fix!.sql))).toEqual([]);
    expect(check(constraintValidation, later("ALTER TABLE orders ADD CONSTRAINT n CHECK (note IS NOT NULL) NOT VALID;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;"))).toHaveLength(1);
    await pg().exec("drop table if exists orders, parents cascade;" + BASE + "insert into orders select g, g, 'x' from generate_series(1, 100) g;");
    const steps = finding.fix!.sql.split("\n");
    await pg().exec(steps.slice(0, 2).join("\n"));
    expect(await scansBy("orders", steps[2])).toBe(0);
    await pg().exec(steps[3]);
    await pg().exec("ALTER TABLE orders ALTER COLUMN note DROP NOT NULL");
    expect(await scansBy("orders", "ALTER TABLE orders ALTER COLUMN note SET NOT NULL")).toBe(1);
  });

  it("leaves out a table the migration proves empty by adding a NOT NULL column without a default", () => {
    expect(check(constraintValidation, later("ALTER TABLE orders ADD COLUMN code text NOT NULL;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;"))).toEqual([]);
  });

  it("counts CREATE TABLE IF NOT EXISTS on an existing table as a no-op", () => {
    const result = check(constraintValidation, later("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY);\nALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);"));
    expect(result).toHaveLength(1);
  });
});

describe("constraint-validation: one finding per statement", () => {
  it("reports one ALTER TABLE with several SET NOT NULL once: one scan proves them all", () => {
    const findings = check(constraintValidation, later("ALTER TABLE orders ALTER COLUMN note SET NOT NULL, ALTER COLUMN total SET NOT NULL;"));
    expect(findings).toHaveLength(1);
    expect(findings[0].columns).toEqual(["note", "total"]);
    expect(findings[0].fix).toBeUndefined();
  });
});

describe("constraint-validation: VALIDATE in the transaction that added the CHECK", () => {
  const SQL = "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;";

  it("is reported where the migration runs in one transaction, and not where each statement commits on its own", async () => {
    const [finding, ...rest] = check(constraintValidation, later(SQL), { framework: "prisma", runsInTransaction: true });
    expect(rest).toEqual([]);
    expect(finding.location.line).toBe(2);
    expect(finding.summary).toContain("move it to a later migration");
    expect(check(constraintValidation, later(SQL))).toEqual([]);
    await pg().exec("drop table if exists orders, parents cascade;" + BASE);
    await pg().exec("BEGIN;" + SQL);
    const held = await pg().query<{ mode: string }>("select mode from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'orders'");
    expect(held.rows.map((r) => r.mode)).toContain("AccessExclusiveLock");
    await pg().exec("COMMIT");
  });
});

describe("constraint-validation: CHECK on a column the same transaction added", () => {
  const ADD = "ALTER TABLE orders ADD COLUMN rank integer;\n";

  it("is NOTED when the column has no default and the file runs in one transaction: all NULL, and the ADD COLUMN holds the lock anyway", async () => {
    const sql = ADD + "ALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank IS NULL OR rank >= 1);\nCREATE INDEX orders_rank_idx ON orders (rank);";
    const [finding, ...rest] = check(constraintValidation, later(sql), { framework: "supabase", runsInTransaction: true });
    expect(rest).toEqual([]);
    expect(finding.severity).toBe("noted");
    expect(finding.fix).toBeUndefined();
    expect(finding.message).toContain("added at line 1 of this migration without a default");
    expect(finding.details).toContain("no row can fail");
    expect(finding.details).toContain("holds until it commits");
    // PostgreSQL: the ADD COLUMN's ACCESS EXCLUSIVE lock is still held when the CHECK runs, and the CHECK accepts every row.
    await pg().exec("drop table if exists orders, parents cascade;" + BASE + "insert into orders select g, g from generate_series(1, 100) g;");
    await pg().exec("BEGIN;" + ADD);
    const held = await pg().query<{ mode: string }>("select mode from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'orders'");
    expect(held.rows.map((r) => r.mode)).toContain("AccessExclusiveLock");
    await pg().exec("ALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank IS NULL OR rank >= 1); COMMIT;");
  });

  it("says the outcome is certain only for expressions it can evaluate on NULL: strict comparisons pass, a function call is left open", () => {
    const strict = check(constraintValidation, later(ADD + "ALTER TABLE orders ADD CONSTRAINT rank_range CHECK (rank BETWEEN 1 AND 10 AND rank <> 5);"), { runsInTransaction: true });
    expect(strict[0].severity).toBe("noted");
    expect(strict[0].details).toContain("NULL, which a CHECK accepts");
    const open = check(constraintValidation, later(ADD + "ALTER TABLE orders ADD CONSTRAINT rank_abs CHECK (abs(rank) < 10);"), { runsInTransaction: true });
    expect(open[0].severity).toBe("noted");
    expect(open[0].details).toContain("same for every row");
  });

  it("keeps the general finding when the column has a default, when a statement wrote it first, when the CHECK reads another column, when it is false on NULL, and outside a transaction", () => {
    const cases = [
      { sql: "ALTER TABLE orders ADD COLUMN rank integer DEFAULT 3;\nALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank >= 1);", tx: true },
      { sql: ADD + "UPDATE orders SET rank = total;\nALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank >= 1);", tx: true },
      { sql: ADD + "INSERT INTO orders SELECT 1000 + id, total, note, parent_id, total FROM orders;\nALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank >= 1);", tx: true },
      { sql: ADD + "ALTER TABLE orders ADD CONSTRAINT rank_total CHECK (rank IS NULL OR rank <= total);", tx: true },
      { sql: ADD + "ALTER TABLE orders ADD CONSTRAINT rank_set CHECK (rank IS NOT NULL);", tx: true },
      { sql: ADD + "ALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank >= 1);", tx: false },
    ];
    for (const c of cases) {
      const findings = check(constraintValidation, later(c.sql), { runsInTransaction: c.tx });
      expect(findings.map((f) => [f.rule, f.severity])).toEqual([["constraint-validation", "routine"]]);
      expect(findings[0].summary).toContain("add it NOT VALID");
    }
  });

  it("stays NOTED after an UPDATE that sets other columns only", () => {
    const [finding] = check(constraintValidation, later(ADD + "UPDATE orders SET note = 'x';\nALTER TABLE orders ADD CONSTRAINT rank_positive CHECK (rank >= 1);"), { runsInTransaction: true });
    expect(finding.severity).toBe("noted");
  });

  it("is NOTED for ADD COLUMN and CHECK in one ALTER TABLE, which PostgreSQL runs as one statement", () => {
    const [finding] = check(constraintValidation, later("ALTER TABLE orders ADD COLUMN rank integer, ADD CONSTRAINT rank_positive CHECK (rank > 0);"), { runsInTransaction: true });
    expect(finding.severity).toBe("noted");
  });
});
