// index-locking cases where what the migration already holds, proves or runs in decides the finding:
// a foreign key whose validation can find nothing, CREATE TABLE IF NOT EXISTS on a live table, a table the
// migration proves empty, CONCURRENTLY in a DO block and in a dbmate transaction:false section.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { indexLocking } from "../../src/rules/index-locking.js";
import { fsSource } from "../../src/source/fs-source.js";
import { check, type FixtureFile } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const BASE = 'CREATE TABLE "Team" (id text PRIMARY KEY, name text);\nCREATE TABLE subscribers (id int PRIMARY KEY, contact_email text);\n';

function later(sql: string): FixtureFile[] {
  return [
    { path: "m/001_init/migration.sql", sql: BASE },
    { path: "m/002_change/migration.sql", sql },
  ];
}

let db: PGlite;
const dirs: string[] = [];
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repository(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "index-audit-safety-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("index-locking: foreign keys whose validation finds nothing", () => {
  const PRISMA =
    'ALTER TABLE "Team" ADD COLUMN "emailTransportId" TEXT;\n' +
    'CREATE TABLE "EmailTransport" (id text PRIMARY KEY);\n' +
    'ALTER TABLE "Team" ADD CONSTRAINT "Team_emailTransportId_fkey" FOREIGN KEY ("emailTransportId") REFERENCES "EmailTransport"(id) ON DELETE SET NULL;\n';

  it("is NOTED, with no claim that it blocks while validating, for a column added without a default in the same migration", () => {
    const [finding, ...rest] = check(indexLocking, later(PRISMA), { framework: "prisma", runsInTransaction: true });
    expect(rest).toEqual([]);
    expect(finding.severity).toBe("noted");
    expect(finding.message).toContain("every value is NULL");
    expect(finding.message).not.toContain("blocks");
    expect(finding.details).toContain("skips the scan entirely");
    expect(finding.fix).toBeUndefined();
  });

  it("is NOTED for an existing column pointing at a table the same migration creates", () => {
    const sql = 'CREATE TABLE "Region" (id text PRIMARY KEY);\nALTER TABLE "Team" ADD CONSTRAINT team_region FOREIGN KEY (name) REFERENCES "Region"(id);';
    const [finding] = check(indexLocking, later(sql));
    expect(finding.severity).toBe("noted");
    expect(finding.message).toContain("Region is created in this migration");
  });

  it("matches PostgreSQL: the separate ADD CONSTRAINT reads the table once; REFERENCES in the ADD COLUMN does not", async () => {
    const scans = async () => {
      await db.query("select pg_stat_force_next_flush()");
      return (await db.query<{ n: number }>(`select seq_scan::int as n from pg_stat_user_tables where relname = 'Team'`)).rows[0].n;
    };
    await db.exec(BASE + `insert into "Team" select g::text from generate_series(1, 100) g;`);
    let before = await scans();
    await db.exec(PRISMA);
    expect((await scans()) - before).toBe(1);
    before = await scans();
    await db.exec(`CREATE TABLE "Other" (id text PRIMARY KEY); ALTER TABLE "Team" ADD COLUMN "otherId" TEXT REFERENCES "Other"(id);`);
    expect((await scans()) - before).toBe(0);
  });

  it("still reports an FK on an existing column to an existing table", () => {
    const [finding] = check(indexLocking, later('ALTER TABLE subscribers ADD CONSTRAINT s_team FOREIGN KEY (contact_email) REFERENCES "Team"(id);'));
    expect(finding.severity).toBe("routine");
    expect(finding.message).toContain("SHARE ROW EXCLUSIVE");
  });
});

describe("index-locking: existing from the replayed schema, and what a migration proves", () => {
  it("reports an index after CREATE TABLE IF NOT EXISTS on a table an earlier migration made", () => {
    const sql = "CREATE TABLE IF NOT EXISTS subscribers (id int PRIMARY KEY, contact_email text);\nCREATE UNIQUE INDEX subscribers_email ON subscribers (contact_email);";
    const [finding] = check(indexLocking, later(sql));
    expect(finding.message).toContain("CREATE UNIQUE INDEX on existing table subscribers");
    expect(check(indexLocking, "CREATE TABLE IF NOT EXISTS fresh (id int);\nCREATE INDEX fresh_id ON fresh (id);")).toEqual([]);
  });

  it("leaves out lock findings on a table the migration proves empty (a NOT NULL column with no default)", () => {
    const sql = "ALTER TABLE subscribers ADD COLUMN plan text NOT NULL;\nCREATE INDEX subscribers_plan ON subscribers (plan);";
    expect(check(indexLocking, later(sql))).toEqual([]);
    expect(check(indexLocking, later("ALTER TABLE subscribers ADD COLUMN plan text NOT NULL DEFAULT 'free';\nCREATE INDEX subscribers_plan ON subscribers (plan);"))).toHaveLength(1);
  });
});

describe("index-locking: CONCURRENTLY where PostgreSQL runs it in a transaction anyway", () => {
  it("says a DO body runs as a function, as PostgreSQL does", async () => {
    const root = repository({
      "migrations/001_init.sql": "CREATE TABLE subscribers (id int PRIMARY KEY, contact_email text);\n",
      "migrations/002_index.sql": "DO $$\nBEGIN\n  CREATE INDEX CONCURRENTLY subscribers_email ON subscribers (contact_email);\nEND\n$$;\n",
    });
    const result = await audit(fsSource(root), { config: DEFAULT_CONFIG });
    const [finding] = result.findings.filter((f) => f.rule === "index-locking");
    expect(finding.severity).toBe("important");
    expect(finding.message).toContain("a DO body runs as a function");
    expect(finding.fix).toBeUndefined();
    await db.exec("CREATE TABLE IF NOT EXISTS subscribers (id int PRIMARY KEY, contact_email text)");
    await expect(db.exec("DO $$ BEGIN CREATE INDEX CONCURRENTLY s_e ON subscribers (contact_email); END $$")).rejects.toThrow(/cannot be executed from a function/);
  });

  it("reports two CONCURRENTLY statements in a dbmate transaction:false section (one multi-statement query), and not one alone", async () => {
    const init = "-- migrate:up\nCREATE TABLE subscribers (id int PRIMARY KEY, contact_email text, name text);\n-- migrate:down\nDROP TABLE subscribers;\n";
    const two = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY s_email ON subscribers (contact_email);\nCREATE INDEX CONCURRENTLY s_name ON subscribers (name);\n-- migrate:down\n";
    const one = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY s_email ON subscribers (contact_email);\n-- migrate:down\n";
    const both = await audit(fsSource(repository({ "db/migrations/20240101_init.sql": init, "db/migrations/20240102_index.sql": two })), { config: DEFAULT_CONFIG });
    const found = both.findings.filter((f) => f.rule === "index-locking");
    expect(found).toHaveLength(2);
    expect(found.every((f) => f.severity === "important" && f.message.includes("one implicit transaction"))).toBe(true);
    const alone = await audit(fsSource(repository({ "db/migrations/20240101_init.sql": init, "db/migrations/20240102_index.sql": one })), { config: DEFAULT_CONFIG });
    expect(alone.findings.filter((f) => f.rule === "index-locking")).toEqual([]);
    // PostgreSQL: one query string holding both statements fails; each on its own succeeds.
    await expect(db.exec("CREATE INDEX CONCURRENTLY s_email ON subscribers (contact_email); CREATE INDEX CONCURRENTLY s_name ON subscribers (name);")).rejects.toThrow(/cannot run inside a transaction block/);
    await db.exec("CREATE INDEX CONCURRENTLY s_email ON subscribers (contact_email)");
  });
});

describe("index-locking: CONCURRENTLY on a partitioned table", () => {
  const PARTITIONED = "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE INDEX events_id ON events (id);\n";

  it("reports CREATE INDEX CONCURRENTLY (ON ONLY included) and DROP INDEX CONCURRENTLY as failures, as PostgreSQL refuses them", async () => {
    const files = (sql: string) => [
      { path: "m/001_init.sql", sql: PARTITIONED },
      { path: "m/002_change.sql", sql },
    ];
    const [create] = check(indexLocking, files("CREATE INDEX CONCURRENTLY events_at ON events (at);"));
    expect(create.severity).toBe("important");
    expect(create.message).toContain("always fails");
    expect(create.details).toContain("ON ONLY events");
    expect(create.fix).toBeUndefined();
    expect(check(indexLocking, files("CREATE INDEX CONCURRENTLY events_at ON ONLY events (at);"))[0].message).toContain("always fails");
    const [drop] = check(indexLocking, files("DROP INDEX CONCURRENTLY events_id;"));
    expect(drop.message).toContain("cannot drop a partitioned index concurrently");
    expect(check(indexLocking, files("CREATE INDEX CONCURRENTLY events_2024_at ON events_2024 (at);"))).toEqual([]);
    await db.exec(PARTITIONED);
    await expect(db.exec("CREATE INDEX CONCURRENTLY events_at ON events (at)")).rejects.toThrow(/cannot create index on partitioned table "events" concurrently/);
    await expect(db.exec("CREATE INDEX CONCURRENTLY events_at ON ONLY events (at)")).rejects.toThrow(/concurrently/);
    await expect(db.exec("DROP INDEX CONCURRENTLY events_id")).rejects.toThrow(/cannot drop partitioned index "events_id" concurrently/);
    await db.exec("CREATE INDEX CONCURRENTLY events_2024_at ON events_2024 (at)");
  });
});

describe("index-locking: a partial index on a column the migration just added", () => {
  const FEATURED = "ALTER TABLE subscribers ADD COLUMN featured integer;\nCREATE INDEX subscribers_featured_idx ON subscribers (featured) WHERE featured IS NOT NULL;\n";

  it("is NOTED with no fix: the column is all NULL, so the index starts empty and the build is one read", () => {
    const found = check(indexLocking, later(FEATURED), { runsInTransaction: true });
    expect(found.map((f) => [f.severity, f.fix])).toEqual([["noted", undefined]]);
    expect(found[0].message).toContain("featured was added at line 1 of this migration without a default, so every value is NULL: the index starts empty");
    expect(found[0].message).toContain("under the ACCESS EXCLUSIVE lock the ALTER TABLE at line 1 holds");
  });

  it("counts IS TRUE, comparisons and IN as needing the column set, under any other AND terms", () => {
    for (const predicate of ["flag IS TRUE", "flag", "rank > 0 AND contact_email IS NOT NULL", "rank IN (1, 2)"]) {
      const sql = `ALTER TABLE subscribers ADD COLUMN flag boolean, ADD COLUMN rank int;\nCREATE INDEX s_idx ON subscribers (id) WHERE ${predicate};\n`;
      expect(check(indexLocking, later(sql), { runsInTransaction: true }).map((f) => f.severity), predicate).toEqual(["noted"]);
    }
  });

  it("keeps the finding when the column has a default, was filled first, the index is not partial, or the predicate lets NULL through", () => {
    const cases = [
      "ALTER TABLE subscribers ADD COLUMN featured integer DEFAULT 1;\nCREATE INDEX f_idx ON subscribers (featured) WHERE featured IS NOT NULL;\n",
      "ALTER TABLE subscribers ADD COLUMN featured integer;\nUPDATE subscribers SET featured = id;\nCREATE INDEX f_idx ON subscribers (featured) WHERE featured IS NOT NULL;\n",
      "ALTER TABLE subscribers ADD COLUMN featured integer;\nCREATE INDEX f_idx ON subscribers (featured);\n",
      "ALTER TABLE subscribers ADD COLUMN featured integer;\nCREATE INDEX f_idx ON subscribers (featured) WHERE featured IS NULL OR id > 0;\n",
    ];
    for (const sql of cases) {
      const found = check(indexLocking, later(sql), { runsInTransaction: true }).filter((f) => f.message.includes("INDEX"));
      expect(found.map((f) => f.severity), sql).not.toContain("noted");
      expect(found.length, sql).toBe(1);
    }
  });

  it("matches PostgreSQL: the partial index on the new column holds no entry, the full one holds every row", async () => {
    await db.exec(`CREATE TABLE featured_probe (id int PRIMARY KEY); INSERT INTO featured_probe SELECT g FROM generate_series(1, 5000) g;`);
    await db.exec(`ALTER TABLE featured_probe ADD COLUMN featured integer; CREATE INDEX probe_partial ON featured_probe (featured) WHERE featured IS NOT NULL; CREATE INDEX probe_full ON featured_probe (featured);`);
    const size = async (name: string) => (await db.query<{ n: number }>(`select pg_relation_size('${name}')::int as n`)).rows[0].n;
    expect(await size("probe_partial")).toBe(8192);
    expect(await size("probe_full")).toBeGreaterThan(8192 * 4);
  });
});
