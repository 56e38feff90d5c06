import { describe, expect, it } from "vitest";
import { config, loadRepo, openRepo, order, writeRepo } from "./helpers.js";
import { discoverMigrationSets } from "../../src/migrations/discover.js";
import type { AuditConfig } from "../../src/core/config.js";

async function discover(files: Record<string, string | Uint8Array>, cfg: AuditConfig = config()) {
  const repo = await openRepo(await writeRepo(files));
  return discoverMigrationSets(repo.files, repo.read, cfg);
}

describe("other databases' migrations are left out, without an error", () => {
  it("folders named mysql, sqlite or clickhouse are not read as PostgreSQL", async () => {
    const { sets, problems, skipped } = await discover({
      "db/mysql/migrations/001_init.sql": "CREATE TABLE a (id int);\n",
      "sqlite_migrations/migrations/001_init.sql": "CREATE TABLE b (id int);\n",
      "db/migrations/001_init.sql": "CREATE TABLE c (id int);\n",
    });
    expect(problems).toEqual([]);
    expect(sets.map((s) => s.name)).toEqual(["db/migrations"]);
    expect(skipped.map((s) => [s.root, s.reason])).toEqual([
      ["db/mysql/migrations", "MySQL migrations (named by the folder), not PostgreSQL"],
      ["sqlite_migrations/migrations", "SQLite migrations (named by the folder), not PostgreSQL"],
    ]);
  });

  it("a folder name does not overrule a layout that names its database itself", async () => {
    const { sets, skipped } = await discover({
      "apps/mysql-bridge/supabase/migrations/20240101000000_init.sql": "create table bridge (id int);\n",
      "apps/mysql-bridge/prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "apps/mysql-bridge/prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE b (id int);\n",
    });
    expect(skipped).toEqual([]);
    expect(sets.map((s) => s.framework)).toEqual(["prisma", "supabase"]);
  });

  it("MySQL syntax that PostgreSQL rejects marks the folder, but the same words in a PostgreSQL string do not", async () => {
    const { sets, skipped } = await discover({
      "services/legacy/migrations/001_init.sql": "CREATE TABLE `users` (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;\n",
      "migrations/001_init.sql": "CREATE TABLE notes (body text DEFAULT 'ENGINE = MergeTree, AUTO_INCREMENT');\n",
    });
    expect(sets.map((s) => s.name)).toEqual(["migrations"]);
    expect(skipped.map((s) => s.root)).toEqual(["services/legacy/migrations"]);
  });

  it("Prisma, Drizzle and Sqitch projects for other databases say so themselves", async () => {
    const { sets, skipped } = await discover({
      "prisma/migrations/migration_lock.toml": 'provider = "mysql"\n',
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE `User` (`id` INTEGER NOT NULL AUTO_INCREMENT);\n",
      "drizzle/meta/_journal.json": JSON.stringify({ dialect: "sqlite", entries: [{ idx: 0, tag: "0000_init" }] }),
      "drizzle/0000_init.sql": "CREATE TABLE `a` (`id` integer PRIMARY KEY AUTOINCREMENT);\n",
      "sqitch/sqitch.conf": "[core]\n\tengine = mysql\n",
      "sqitch/sqitch.plan": "%project=x\n\ninit 2024-01-01T00:00:00Z A <a@b.c> # init\n",
      "sqitch/deploy/init.sql": "CREATE TABLE a (id int);\n",
    });
    expect(sets).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/^Drizzle migrations for sqlite/),
      expect.stringMatching(/^Prisma migrations for mysql/),
      expect.stringMatching(/^Sqitch project for engine mysql/),
    ]);
  });
});

describe("application SQL that is not migrations", () => {
  it("query files, test fixtures, seed data and unnumbered folders are not migration sets", async () => {
    const { sets } = await discover({
      "src/queries/get_user.sql": "SELECT * FROM users WHERE id = $1;\n",
      "sql/reports.sql": "SELECT count(*) FROM users;\n",
      "test/fixtures/migrations/001_fixture.sql": "CREATE TABLE fixture (id int);\n",
      "supabase/seed.sql": "INSERT INTO users VALUES (1);\n",
      "db/seeds/001_users.sql": "INSERT INTO users VALUES (1);\n",
    });
    expect(sets).toEqual([]);
  });
});

describe("framework details", () => {
  it("sqitch: a reworked change deploys its tagged copy first, then the current script", async () => {
    const { sets, problems } = await discover({
      "sqitch.plan": [
        "%project=app",
        "widgets 2024-01-01T00:00:00Z A <a@b.c> # first version",
        "@v1.0 2024-01-02T00:00:00Z A <a@b.c> # tag",
        "gadgets [widgets] 2024-01-03T00:00:00Z A <a@b.c> # another change",
        "widgets [widgets@v1.0] 2024-01-04T00:00:00Z A <a@b.c> # reworked",
        "missing 2024-01-05T00:00:00Z A <a@b.c> # no script",
      ].join("\n"),
      "deploy/widgets@v1.0.sql": "CREATE TABLE widgets (id int);\n",
      "deploy/widgets.sql": "ALTER TABLE widgets ADD COLUMN name text;\n",
      "deploy/gadgets.sql": "CREATE TABLE gadgets (id int);\n",
    });
    expect(order(sets[0])).toEqual(["deploy/widgets@v1.0.sql", "deploy/gadgets.sql", "deploy/widgets.sql"]);
    expect(problems).toEqual([
      { message: 'sqitch.plan lists change "missing" but deploy/missing.sql does not exist', location: { file: "sqitch.plan", line: 6, column: 1 }, kind: "listing" },
    ]);
  });

  it("drizzle: a journal entry without its file, or a journal that is not JSON, is reported", async () => {
    const missing = await discover({
      "drizzle/meta/_journal.json": '{\n  "dialect": "postgresql",\n  "entries": [\n    { "idx": 0, "tag": "0000_a" },\n    { "idx": 1, "tag": "0001_b" }\n  ]\n}\n',
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    expect(order(missing.sets[0])).toEqual(["drizzle/0000_a.sql"]);
    expect(missing.problems).toEqual([
      { message: 'drizzle journal lists "0001_b" but drizzle/0001_b.sql does not exist', location: { file: "drizzle/meta/_journal.json", line: 5, column: 1 }, kind: "listing" },
    ]);

    const broken = await discover({
      "drizzle/meta/_journal.json": "{ not json",
      "drizzle/0001_b.sql": "CREATE TABLE b (id int);\n",
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    expect(order(broken.sets[0])).toEqual(["drizzle/0000_a.sql", "drizzle/0001_b.sql"]);
    expect(broken.problems[0].message).toMatch(/not valid JSON/);
  });

  it("drizzle-kit 1.x folders (migration.sql beside snapshot.json) are drizzle, in folder-name order", async () => {
    const { sets } = await discover({
      "drizzle/20240201000000_second/migration.sql": "ALTER TABLE a ADD COLUMN b int;\n",
      "drizzle/20240201000000_second/snapshot.json": "{}",
      "drizzle/20240101000000_first/migration.sql": "CREATE TABLE a (id int);\n",
      "drizzle/20240101000000_first/snapshot.json": "{}",
    });
    expect(sets.map((s) => [s.framework, order(s)])).toEqual([
      ["drizzle", ["drizzle/20240101000000_first/migration.sql", "drizzle/20240201000000_second/migration.sql"]],
    ]);
  });

  it("flyway and golang-migrate: two files with one version are reported", async () => {
    const { problems } = await discover({
      "db/migration/V1__a.sql": "CREATE TABLE a (id int);\n",
      "db/migration/V1.0__b.sql": "CREATE TABLE b (id int);\n",
      "go/migrations/001_a.up.sql": "CREATE TABLE c (id int);\n",
      "go/migrations/1_b.up.sql": "CREATE TABLE d (id int);\n",
    });
    expect(problems.map((p) => p.location.file).sort()).toEqual(["db/migration/V1__a.sql", "go/migrations/1_b.up.sql"]);
  });

  it("prisma 7.4 and later run each statement on its own, outside a transaction", async () => {
    const { sets } = await discover({
      "package.json": JSON.stringify({ devDependencies: { prisma: "7.4.1" } }),
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
    });
    expect(sets[0].files.map((f) => f.runsInTransaction)).toEqual([false]);
  });

  it("prisma 7.4 and later send a file as one script again when it holds DROP INDEX CONCURRENTLY beside other statements; before 7.4 every file of two statements is one", async () => {
    const files = {
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n",
      "prisma/migrations/20240102000000_drop/migration.sql": "-- DropIndex\nDROP INDEX CONCURRENTLY a_id;\nALTER TABLE a ADD COLUMN note text;\n",
      "prisma/migrations/20240103000000_alone/migration.sql": "DROP INDEX CONCURRENTLY IF EXISTS a_note;\n",
    };
    const recent = await discover({ ...files, "package.json": JSON.stringify({ devDependencies: { prisma: "^7.6.0" } }) });
    expect(recent.sets[0].files.map((f) => [f.runsInTransaction, f.sends])).toEqual([
      [false, "split"],
      [true, "split"],
      [false, "split"],
    ]);
    const older = await discover({ ...files, "package.json": JSON.stringify({ dependencies: { "@prisma/client": "^5.1.1" } }) });
    expect(older.sets[0].files.map((f) => [f.runsInTransaction, f.sends])).toEqual([
      [true, "script"],
      [true, "script"],
      [false, "script"],
    ]);
  });

  it("dbmate: a file without an up section is reported and contributes nothing", async () => {
    const root = await writeRepo({
      "db/migrations/20240101000000_a.sql": "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
      "db/migrations/20240102000000_b.sql": "CREATE TABLE b (id int);\n",
    });
    const { sets, statements, problems } = await loadRepo(root);
    expect(sets.map((s) => s.framework)).toEqual(["dbmate"]);
    expect(statements.map((s) => s.location.file)).toEqual(["db/migrations/20240101000000_a.sql"]);
    expect(problems.map((p) => p.location.file)).toEqual(["db/migrations/20240102000000_b.sql"]);
  });

  it("a configured framework applies to every detected folder", async () => {
    const { sets } = await discover(
      {
        "migrations/001_a.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
        "migrations/002_b.sql": "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
      },
      config({ framework: "supabase" }),
    );
    expect(sets.map((s) => [s.framework, s.files.map((f) => f.runsInTransaction)])).toEqual([["supabase", [true, true]]]);
  });

  it("a dump beside migrations is not a second set, but a dump in another project of a monorepo is", async () => {
    const { sets } = await discover({
      "api/db/migrations/001_init.sql": "CREATE TABLE a (id int);\n",
      "api/db/schema.sql": "CREATE TABLE a (id int);\n",
      "billing/db/structure.sql": "CREATE TABLE invoices (id int);\n",
    });
    expect(sets.map((s) => [s.framework, s.name])).toEqual([
      ["plain", "api/db/migrations"],
      ["schema-dump", "billing/db/structure.sql"],
    ]);
  });
});
