import { describe, expect, it } from "vitest";
import { lockTimeout } from "../../src/rules/lock-timeout.js";
import { afterBase, check, type FixtureFile } from "./helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const BASE = "CREATE TABLE accounts (id int PRIMARY KEY, name text);\n";

const later = (sql: string): FixtureFile[] => afterBase(BASE, sql);

const pg = pgliteForFile();

describe("lock-timeout", () => {
  it("reports the first ACCESS EXCLUSIVE statement on an existing table with no lock_timeout, once per migration", () => {
    const findings = check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;\nALTER TABLE accounts DROP COLUMN name;"));
    expect(findings).toHaveLength(1);
    expect(findings[0].location.line).toBe(1);
    expect(findings[0].message).toContain("ACCESS EXCLUSIVE");
    expect(findings[0].fix).toEqual({ sql: "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN plan text;", placement: "replace" });
  });

  it("is silent when the migration sets lock_timeout first, by SET, SET LOCAL in its transaction, or set_config", () => {
    expect(check(lockTimeout, later("SET lock_timeout = '3s';\nALTER TABLE accounts ADD COLUMN plan text;"))).toEqual([]);
    expect(check(lockTimeout, later("SET LOCAL lock_timeout = 3000;\nALTER TABLE accounts ADD COLUMN plan text;"), { runsInTransaction: true })).toEqual([]);
    expect(check(lockTimeout, later("SELECT set_config('lock_timeout', '3s', false);\nALTER TABLE accounts ADD COLUMN plan text;"))).toEqual([]);
  });

  it("does not count SET lock_timeout = 0, SET LOCAL outside a transaction, or a setting after the statement", () => {
    expect(check(lockTimeout, later("SET lock_timeout = 0;\nALTER TABLE accounts ADD COLUMN plan text;"))).toHaveLength(1);
    expect(check(lockTimeout, later("SET LOCAL lock_timeout = '3s';\nALTER TABLE accounts ADD COLUMN plan text;"))).toHaveLength(1);
    expect(check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;\nSET lock_timeout = '3s';"))).toHaveLength(1);
  });

  it("writes SET LOCAL in a one-statement Prisma migration: with the SET, the script runs as one implicit transaction, and the setting ends with it", async () => {
    const [finding] = check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;"), { framework: "prisma", runsInTransaction: false });
    expect(finding.fix?.sql).toBe("SET LOCAL lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN plan text;");
    expect(finding.details).toContain("runs as one implicit transaction; SET LOCAL keeps the setting to it");
    // Sent as one script, as Prisma Migrate sends a migration.sql: the setting holds inside and is gone after.
    const db = pg();
    await db.exec(BASE);
    const inside = await db.exec(`${finding.fix!.sql}\nSELECT current_setting('lock_timeout') AS t;`);
    expect(inside[2].rows).toEqual([{ t: "5s" }]);
    expect((await db.query("SELECT current_setting('lock_timeout') AS t")).rows).toEqual([{ t: "0" }]);
    await db.exec("DROP TABLE accounts");
    // A plain migration run statement by statement keeps the session SET.
    const [plain] = check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;"));
    expect(plain.fix?.sql.split("\n")[0]).toBe("SET lock_timeout = '5s';");
  });

  it("writes SET LOCAL in a migration that runs in a transaction", () => {
    const [finding] = check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;"), { framework: "prisma", runsInTransaction: true });
    expect(finding.fix?.sql.split("\n")[0]).toBe("SET LOCAL lock_timeout = '5s';");
  });

  it("gives the SQL in the details, not as a fix, on a table these migrations do not create (the replay cannot check it)", () => {
    const [finding] = check(lockTimeout, "ALTER TABLE outside_table ADD COLUMN plan text;");
    expect(finding.fix).toBeUndefined();
    expect(finding.details).toContain("In place of the statement:\n\nSET lock_timeout = '5s';\nALTER TABLE outside_table ADD COLUMN plan text;");
  });

  it("is silent on tables created in the same migration, on weaker locks, and on index builds (index-locking reports those)", () => {
    expect(check(lockTimeout, BASE + "ALTER TABLE accounts ADD COLUMN plan text;")).toEqual([]);
    expect(check(lockTimeout, later("ALTER TABLE accounts VALIDATE CONSTRAINT accounts_name_check;"))).toEqual([]);
    expect(check(lockTimeout, later("CREATE INDEX accounts_name ON accounts (name);"))).toEqual([]);
  });

  it("puts the SET before an earlier index drop or build in the same migration, which queues for its lock first (pg_locks), and that fix runs", async () => {
    const base = "CREATE TABLE boards (id int PRIMARY KEY, slug text);\nCREATE UNIQUE INDEX boards_slug_key ON boards (slug);\nCREATE TABLE pages (id int PRIMARY KEY);\n";
    const files: FixtureFile[] = [
      { path: "m/001_init.sql", sql: base },
      { path: "m/002_change.sql", sql: "CREATE TABLE replays (id int PRIMARY KEY);\nDROP INDEX IF EXISTS boards_slug_key;\nALTER TABLE boards DROP COLUMN IF EXISTS slug;" },
    ];
    const [finding] = check(lockTimeout, files);
    expect(finding.location).toMatchObject({ file: "m/002_change.sql", line: 2 });
    expect(finding.message).toContain("line 3");
    expect(finding.fix).toEqual({ sql: "SET lock_timeout = '5s';\nDROP INDEX IF EXISTS boards_slug_key;", placement: "replace" });
    // A CREATE INDEX (SHARE) before the ALTER counts the same way; one on a table this migration creates does not.
    const build = check(lockTimeout, [files[0], { path: "m/002_change.sql", sql: "CREATE INDEX replays_x ON pages (id);\nALTER TABLE boards ADD COLUMN title text;" }]);
    expect(build[0].location.line).toBe(1);
    const fresh = check(lockTimeout, [files[0], { path: "m/002_change.sql", sql: "CREATE TABLE replays (id int);\nCREATE INDEX replays_id ON replays (id);\nALTER TABLE boards ADD COLUMN title text;" }]);
    expect(fresh[0].location.line).toBe(3);
    // What PostgreSQL takes: DROP INDEX holds ACCESS EXCLUSIVE on the index's table, so it waits in the same queue.
    await pg().exec(base);
    await pg().exec("BEGIN");
    await pg().exec("DROP INDEX boards_slug_key");
    const held = await pg().query<{ mode: string }>("select mode from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'boards'");
    expect(held.rows.map((r) => r.mode)).toContain("AccessExclusiveLock");
    await pg().exec("ROLLBACK");
    await pg().exec("CREATE TABLE replays (id int PRIMARY KEY)");
    await pg().exec(finding.fix!.sql);
    expect((await pg().query<{ lock_timeout: string }>("show lock_timeout")).rows[0].lock_timeout).toBe("5s");
    await pg().exec("RESET lock_timeout");
  });

  it("names the lock PostgreSQL takes (pg_locks), and its fix runs and sets the timeout", async () => {
    await pg().exec(BASE);
    await pg().exec("BEGIN");
    await pg().exec("ALTER TABLE accounts ADD COLUMN plan text");
    const held = await pg().query<{ mode: string }>("select mode from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'accounts'");
    expect(held.rows.map((r) => r.mode)).toContain("AccessExclusiveLock");
    await pg().exec("ROLLBACK");
    const [finding] = check(lockTimeout, later("ALTER TABLE accounts ADD COLUMN plan text;"));
    await pg().exec(finding.fix!.sql);
    expect((await pg().query<{ lock_timeout: string }>("show lock_timeout")).rows[0].lock_timeout).toBe("5s");
  });
});
