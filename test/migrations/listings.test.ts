// A listing file (Drizzle's meta/_journal.json, sqitch.plan) that disagrees with the folder beside it:
// each disagreement is reported once, naming the file, and every migration that is there is still read.
import { describe, expect, it } from "vitest";
import { FIXTURES, config, discoverFixture, kind, loadRepo, openRepo, order, where, writeRepo } from "./helpers.js";
import { discoverMigrationSets } from "../../src/migrations/discover.js";

async function discover(files: Record<string, string | Uint8Array>) {
  const repo = await openRepo(await writeRepo(files));
  return discoverMigrationSets(repo.files, repo.read, config());
}

const problemsOf = (problems: Array<{ message: string; location: { file: string; line: number; column: number } }>) =>
  problems.map((p) => `${where(p)} ${p.message}`);

describe("drizzle journal out of step with its folder", () => {
  it("listed files first in journal order, then unlisted ones in name order; each disagreement reported once", async () => {
    const { sets, problems } = await discoverFixture("drizzle-out-of-step");
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["drizzle", "drizzle"]]);
    expect(order(sets[0])).toEqual([
      "drizzle/0000_init.sql",
      "drizzle/0002_posts.sql",
      "drizzle/0003_posts_author.sql",
      "drizzle/0010_comments.sql",
    ]);
    expect(problemsOf(problems)).toEqual([
      'drizzle/meta/_journal.json:6:1 drizzle journal lists "0001_lost_entry" but drizzle/0001_lost_entry.sql does not exist',
      "drizzle/meta/_journal.json:1:1 2 SQL files in drizzle are not listed in drizzle/meta/_journal.json: 0003_posts_author.sql, 0010_comments.sql. drizzle-kit does not apply them; they are audited after the listed migrations, in name order",
    ]);
  });

  it("only the files the journal lists run inside drizzle-kit's transaction", async () => {
    const { sets } = await discoverFixture("drizzle-out-of-step");
    expect(sets[0].files.map((f) => [f.path, f.runsInTransaction])).toEqual([
      ["drizzle/0000_init.sql", true],
      ["drizzle/0002_posts.sql", true],
      ["drizzle/0003_posts_author.sql", false],
      ["drizzle/0010_comments.sql", false],
    ]);
  });

  it("CREATE INDEX CONCURRENTLY in a file the journal does not list is not reported as failing in drizzle-kit's transaction", async () => {
    const files: Record<string, string> = {
      "db/meta/_journal.json": '{ "dialect": "postgresql", "entries": [ { "idx": 0, "tag": "0000_init" } ] }\n',
      "db/0000_init.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
      "db/0001_by_hand.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
    };
    const { audit } = await import("../../src/audit.js");
    const { fsSource } = await import("../../src/source/fs-source.js");
    const result = await audit(fsSource(await writeRepo(files)), { config: config() });
    expect(result.findings.filter((f) => f.rule === "index-locking").map((f) => f.message)).toEqual([]);
  });

  it("a journal that lists only a missing file still leaves every file beside it in the schema", async () => {
    const files: Record<string, string> = {
      "db/meta/_journal.json": '{\n  "version": "7",\n  "dialect": "postgresql",\n  "entries": [\n    { "idx": 0, "tag": "0000_gone" }\n  ]\n}\n',
    };
    for (let k = 1; k <= 39; k++) files[`db/${String(k).padStart(4, "0")}_m.sql`] = `CREATE TABLE t${k} (id int PRIMARY KEY);\n`;
    const root = await writeRepo(files);
    const { sets, statements, problems } = await loadRepo(root);
    expect(sets).toHaveLength(1);
    expect(sets[0].files).toHaveLength(39);
    expect(statements.map(kind)).toEqual(Array(39).fill("CreateStmt"));
    expect(statements[38].sql).toContain("t39");
    // The missing entry, and one report naming all 39 unlisted files.
    expect(problems).toHaveLength(2);
    expect(problemsOf(problems)[0]).toBe('db/meta/_journal.json:5:1 drizzle journal lists "0000_gone" but db/0000_gone.sql does not exist');
    expect(problemsOf(problems)[1]).toMatch(/^db\/meta\/_journal\.json:1:1 39 SQL files in db are not listed in db\/meta\/_journal\.json: 0001_m\.sql, 0002_m\.sql, .*, 0039_m\.sql\. drizzle-kit does not apply them/);
  });

  it("a journal that is not JSON is reported on one line; files are taken in name order", async () => {
    const { sets, problems } = await discover({
      "drizzle/meta/_journal.json": '{\n  "dialect": "postgresql",\n  "entries": [\n    { "idx": 0, "tag": "0000_a" },,\n  ]\n}\n',
      "drizzle/0010_c.sql": "CREATE TABLE c (id int);\n",
      "drizzle/0001_b.sql": "CREATE TABLE b (id int);\n",
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    expect(order(sets[0])).toEqual(["drizzle/0000_a.sql", "drizzle/0001_b.sql", "drizzle/0010_c.sql"]);
    expect(problems).toHaveLength(1);
    // The line is the error's where Node gives its offset (newer versions), else the journal's first.
    expect(problems[0].location).toMatchObject({ file: "drizzle/meta/_journal.json", column: 1 });
    expect([1, 4]).toContain(problems[0].location.line);
    expect(problems[0].message).toMatch(/^drizzle journal is not valid JSON \([^\n]+\); migrations taken in file-name order$/);
  });

  it("a journal without an entries list, or listing a file twice, is handled without a crash", async () => {
    const shapeless = await discover({ "drizzle/meta/_journal.json": '{ "dialect": 7, "entries": {} }', "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n" });
    expect(order(shapeless.sets[0])).toEqual(["drizzle/0000_a.sql"]);
    expect(problemsOf(shapeless.problems)).toEqual(["drizzle/meta/_journal.json:1:1 drizzle journal has no list of entries; migrations taken in file-name order"]);

    const twice = await discover({
      "drizzle/meta/_journal.json": JSON.stringify({ dialect: "postgresql", entries: [{ idx: 0, tag: "0000_a" }, { idx: 1, tag: "0000_a" }, { idx: 2, tag: "0001_gone" }, { idx: 3, tag: "0001_gone" }] }),
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    expect(order(twice.sets[0])).toEqual(["drizzle/0000_a.sql"]);
    expect(twice.problems).toHaveLength(1);
  });
});

describe("sqitch.plan out of step with deploy/", () => {
  it("a deploy script of no planned change is reported and read after the planned ones; a missing one at its plan line", async () => {
    const { sets, problems } = await discover({
      "sqitch.plan": "%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T10:00:00Z A <a@example.com> # users\nposts [users] 2024-01-02T10:00:00Z A <a@example.com> # posts\n",
      "deploy/users.sql": "BEGIN;\nCREATE TABLE users (id int PRIMARY KEY);\nCOMMIT;\n",
      "deploy/comments.sql": "BEGIN;\nCREATE TABLE comments (id int PRIMARY KEY, user_id int);\nCOMMIT;\n",
      "revert/users.sql": "DROP TABLE users;\n",
      "verify/users.sql": "SELECT id FROM users WHERE false;\n",
    });
    expect(order(sets[0])).toEqual(["deploy/users.sql", "deploy/comments.sql"]);
    expect(problemsOf(problems)).toEqual([
      'sqitch.plan:5:1 sqitch.plan lists change "posts" but deploy/posts.sql does not exist',
      "deploy/comments.sql:1:1 deploy/comments.sql is not a change in sqitch.plan: Sqitch does not deploy it; audited after the planned changes",
    ]);
    // Revert and verify scripts stay with the set, never read as queries.
    expect(sets[0].companions).toEqual(expect.arrayContaining(["revert/users.sql", "verify/users.sql", "sqitch.plan"]));
  });

  it("the bundled sqitch project, whose plan and folder agree, has no problem", async () => {
    const { problems } = await discoverFixture("sqitch");
    expect(problems).toEqual([]);
  });
});

describe("a migration file in a legacy 8-bit encoding", () => {
  it("is read as windows-1252, its statements replayed, and reported at the first byte UTF-8 refuses", async () => {
    const { statements, problems } = await loadRepo(`${FIXTURES}bad-inputs`);
    expect(statements.filter((s) => s.location.file === "migrations/006_invalid_utf8.sql").map((s) => `${where(s)} ${kind(s)}`)).toEqual([
      "migrations/006_invalid_utf8.sql:1:1 CreateStmt",
    ]);
    expect(problemsOf(problems).filter((p) => p.startsWith("migrations/006"))).toEqual([
      "migrations/006_invalid_utf8.sql:1:50 migration file is not UTF-8 (read as windows-1252): PostgreSQL rejects these bytes when client_encoding is UTF8",
    ]);
  });
});
