// Lock findings as the migration history and the transaction decide them: migrations that already ran are
// NOTED without a fix, and a transaction that already holds ACCESS EXCLUSIVE on the table gets advice to split.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexLocking } from "../../src/rules/index-locking.js";
import { statementLocks } from "../../src/rules/lock-levels.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { startPGlite } from "../support/pglite.js";
import { buildInput, check, type FixtureFile } from "./helpers.js";

const BASE = "CREATE TABLE users (id int PRIMARY KEY, email text, org_id int);\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE INDEX users_org ON users (org_id);\n";
const IN_TRANSACTION = { framework: "supabase" as const, runsInTransaction: true };

function history(files: string[]): FixtureFile[] {
  return files.map((sql, i) => ({ path: `supabase/migrations/2024010${i}000000_step.sql`, sql }));
}

beforeAll(async () => {
  await initParser();
});

describe("index-locking: migrations that already ran", () => {
  const files = history([BASE, "CREATE INDEX users_email ON users (email);", "SELECT 1;", "SELECT 2;", "SELECT 3;", "CREATE INDEX users_org_email ON users (org_id, email);"]);
  const findings = check(indexLocking, files, IN_TRANSACTION);
  const old = findings.find((f) => f.location.file.endsWith("20240101000000_step.sql"))!;
  const recent = findings.find((f) => f.location.file.endsWith("20240105000000_step.sql"))!;

  it("reports a lock in a file older than the newest three as NOTED, says why, and offers no fix to edit it", () => {
    expect(old.severity).toBe("noted");
    expect(old.details).toContain("applied long ago: this statement cannot be changed now; it is listed for the record");
    expect(old.details).toContain("checksums");
    expect(old.summary).toBe("CREATE INDEX blocks writes to users while it builds: applied long ago, listed for the record.");
    expect(old.fix).toBeUndefined();
  });

  it("keeps the newest files' severity and in-place fix", () => {
    expect(recent.severity).toBe("routine");
    expect(recent.fix).toEqual({ sql: "CREATE INDEX CONCURRENTLY users_org_email ON users (org_id, email);", placement: "replace" });
  });
});

describe("index-locking: the transaction already holds ACCESS EXCLUSIVE on the table", () => {
  it("says an index built after ADD COLUMN in the same transaction blocks reads too, and moves the build to a migration of its own", () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE users ADD COLUMN name text;\nCREATE INDEX users_name ON users (name);"]), IN_TRANSACTION);
    expect(finding.message).toBe(
      "CREATE INDEX on existing table users runs while this migration's transaction holds the ACCESS EXCLUSIVE lock its ALTER TABLE at line 1 took, so reads and writes on users wait for the whole build.",
    );
    expect(finding.details).not.toContain("reads continue");
    expect(finding.details).toContain("Split the migration");
    expect(finding.summary).toContain("split the migration");
    expect(finding.fix).toEqual({ sql: "CREATE INDEX CONCURRENTLY users_name ON users (name);", placement: "separate" });
  });

  it("keeps the SHARE-lock message when nothing earlier in the transaction locked the table", () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE orgs ADD COLUMN name text;\nCREATE INDEX users_email ON users (email);"]), IN_TRANSACTION);
    expect(finding.details).toContain("reads continue");
    expect(finding.fix?.placement).toBe("replace");
  });

  it("follows an explicit BEGIN … COMMIT: the lock a RENAME took ends at COMMIT", () => {
    const sql = "BEGIN;\nALTER TABLE users RENAME COLUMN email TO mail;\nCREATE INDEX users_mail ON users (mail);\nCOMMIT;\nCREATE INDEX users_org_id ON users (org_id, id);";
    const findings = check(indexLocking, [{ path: "m/001.sql", sql: BASE }, { path: "m/002.sql", sql }]);
    expect(findings.map((f) => [f.location.line, f.message.includes("ACCESS EXCLUSIVE lock its ALTER TABLE at line 2")])).toEqual([
      [3, true],
      [5, false],
    ]);
  });

  it("when a DROP COLUMN precedes ADD FOREIGN KEY, adds it NOT VALID in place (no scan under the held lock) and puts the VALIDATE in a later migration", () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE users DROP COLUMN email;\nALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);"]), IN_TRANSACTION);
    expect(finding.message).toContain("ACCESS EXCLUSIVE lock its ALTER TABLE at line 1 took on users");
    expect(finding.details).toContain("Added NOT VALID, the constraint needs no scan here, so the lock lasts only as long as the rest of this migration");
    expect(finding.details).not.toContain("cannot help");
    expect(finding.fix?.placement).toBe("separate");
    expect(finding.fix?.sql).toBe(
      "-- In this migration, in place of the statement:\nALTER TABLE users ADD CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;\n-- A later migration of its own:\nALTER TABLE users VALIDATE CONSTRAINT users_org_id_fkey;",
    );
  });

  it("under drizzle-kit, which applies all pending migrations in one transaction, says the VALIDATE ships in a later deploy", () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);"]), { framework: "drizzle", runsInTransaction: true });
    expect(finding.details).toContain("ship that migration in a later deploy than this one");
    const [plain] = check(indexLocking, history([BASE, "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);"]), IN_TRANSACTION);
    expect(plain.details).not.toContain("later deploy");
  });
});

describe("index-locking: ADD UNIQUE where every pending migration runs in one transaction (drizzle-kit)", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
  });
  afterAll(() => db.close());

  it("builds the unique index in a migration of its own and attaches it in a later one, keeping the constraint, after the migration that adds its column", async () => {
    const change = "ALTER TABLE users ADD COLUMN trace_id text;\nALTER TABLE users ADD CONSTRAINT users_org_trace_key UNIQUE (org_id, trace_id);";
    const finding = check(indexLocking, history([BASE, change]), { framework: "drizzle", runsInTransaction: true }).find((f) => f.message.startsWith("ADD UNIQUE"))!;
    const [build, attach] = finding.fix!.sql.split(/^-- A later migration.*$/m).map((m) => m.trim());
    expect(build).toBe("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_org_trace_key ON users (org_id, trace_id);");
    expect(attach).toBe("ALTER TABLE users ADD CONSTRAINT users_org_trace_key UNIQUE USING INDEX users_org_trace_key;");
    expect(finding.details).toContain("trace_id is added at line 1 of this migration, so the index can be built only once this migration has run");
    expect(finding.details).toContain("Take the ADD CONSTRAINT out of this migration");
    expect(finding.details).not.toContain("keep a plain `CREATE INDEX IF NOT EXISTS`");

    // The migration without the ADD CONSTRAINT, then the build alone, then the attach: a unique constraint results.
    await db.exec(BASE);
    await db.exec("INSERT INTO users (id, org_id) SELECT g, g % 7 FROM generate_series(1, 500) g;");
    await db.exec("ALTER TABLE users ADD COLUMN trace_id text;");
    await expect(db.exec(`${build}\n${attach}`)).rejects.toThrow(/cannot run inside a transaction block/);
    await db.exec(build);
    await db.exec(attach);
    const constraint = await db.query<{ contype: string }>("SELECT contype FROM pg_constraint WHERE conname = 'users_org_trace_key'");
    expect(constraint.rows).toEqual([{ contype: "u" }]);
  });
});

describe("index-locking: NOT VALID and VALIDATE where the file runs in one transaction", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
  });
  afterAll(() => db.close());

  it("puts the VALIDATE in a later migration (placement separate), and each part runs on PostgreSQL", async () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);"]), IN_TRANSACTION);
    expect(finding.summary).toContain("then VALIDATE in a later migration");
    expect(finding.details).toContain("a VALIDATE in the same migration scans under them and changes nothing");
    expect(finding.fix?.placement).toBe("separate");
    const sql = finding.fix!.sql;
    expect(sql.indexOf("-- A later migration of its own:")).toBeLessThan(sql.indexOf("VALIDATE CONSTRAINT"));
    expect(sql.indexOf("NOT VALID")).toBeLessThan(sql.indexOf("-- A later migration of its own:"));
    await db.exec(BASE + "INSERT INTO orgs VALUES (1); INSERT INTO users VALUES (1, 'a@b.c', 1);");
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.statements).toHaveLength(2);
    // Each migration is a transaction of its own.
    for (const statement of parsed.statements) await db.exec(`BEGIN;\n${sql.slice(statement.start, statement.end)};\nCOMMIT;`);
    const constraint = await db.query<{ convalidated: boolean }>("SELECT convalidated FROM pg_constraint WHERE conname = 'users_org_id_fkey'");
    expect(constraint.rows).toEqual([{ convalidated: true }]);
  });

  it("flags a VALIDATE written in the transaction that added the key NOT VALID, and not one after COMMIT", () => {
    const pair = "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_org_fk;";
    const [finding, ...rest] = check(indexLocking, history([BASE, pair]), IN_TRANSACTION);
    expect(rest).toEqual([]);
    expect(finding.location.line).toBe(2);
    expect(finding.summary).toBe("VALIDATE CONSTRAINT users_org_fk scans users under the lock the ADD at line 1 still holds: move it to a later migration.");
    expect(finding.fix).toBeUndefined();
    const committed = `BEGIN;\n${pair.replace("\n", "\nCOMMIT;\n")}`;
    expect(check(indexLocking, history([BASE, committed]))).toEqual([]);
  });

  it("keeps the pair in place where each statement commits on its own", () => {
    const [finding] = check(indexLocking, history([BASE, "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);"]));
    expect(finding.fix?.placement).toBe("replace");
    expect(finding.fix?.sql).not.toContain("--");
  });
});

describe("lock-levels: the lock each statement takes", () => {
  const locks = (sql: string) => statementLocks(buildInput([{ path: "a.sql", sql }]).statements[0]);

  it("follows AlterTableGetLockLevel for ALTER TABLE subcommands", () => {
    expect(locks("ALTER TABLE users ADD COLUMN a int")).toEqual([{ table: "public.users", mode: "ACCESS EXCLUSIVE" }]);
    expect(locks("ALTER TABLE users VALIDATE CONSTRAINT c")).toEqual([{ table: "public.users", mode: "SHARE UPDATE EXCLUSIVE" }]);
    expect(locks("ALTER TABLE app.users ADD FOREIGN KEY (org_id) REFERENCES orgs (id)")).toEqual([
      { table: "app.users", mode: "SHARE ROW EXCLUSIVE" },
      { table: "public.orgs", mode: "SHARE ROW EXCLUSIVE" },
    ]);
    expect(locks("ALTER TABLE users DROP CONSTRAINT c, ADD FOREIGN KEY (org_id) REFERENCES orgs (id)")[0]).toEqual({ table: "public.users", mode: "ACCESS EXCLUSIVE" });
  });

  it("covers renames, index builds, drops and explicit LOCK", () => {
    expect(locks("ALTER TABLE users RENAME TO people")).toEqual([{ table: "public.users", mode: "ACCESS EXCLUSIVE" }]);
    expect(locks("ALTER INDEX users_org RENAME TO users_org_idx")).toEqual([]);
    expect(locks("CREATE INDEX i ON users (a)")).toEqual([{ table: "public.users", mode: "SHARE" }]);
    expect(locks("CREATE INDEX CONCURRENTLY i ON users (a)")).toEqual([{ table: "public.users", mode: "SHARE UPDATE EXCLUSIVE" }]);
    expect(locks("DROP TABLE users")).toEqual([{ table: "public.users", mode: "ACCESS EXCLUSIVE" }]);
    expect(locks("LOCK TABLE users IN SHARE MODE")).toEqual([{ table: "public.users", mode: "SHARE" }]);
  });
});
