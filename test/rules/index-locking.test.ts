import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, Framework } from "../../src/core/types.js";
import { indexLocking } from "../../src/rules/index-locking.js";
import { lockTimeout } from "../../src/rules/lock-timeout.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { check, type FixtureFile } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const BASE = "CREATE TABLE users (id int PRIMARY KEY, email text, org_id int);\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE INDEX users_org ON users (org_id);\n";

function twoFiles(second: string): FixtureFile[] {
  return [
    { path: "m/001_init.sql", sql: BASE },
    { path: "m/002_change.sql", sql: second },
  ];
}

beforeAll(async () => {
  await initParser();
});

describe("index-locking: statements on tables that already exist", () => {
  it("reports CREATE INDEX without CONCURRENTLY on a table from an earlier file, naming the SHARE lock", () => {
    const result = check(indexLocking, twoFiles("-- speed up logins\nCREATE INDEX users_email ON users (email);"));
    expect(result).toHaveLength(1);
    const [finding] = result;
    expect(finding.message).toContain("SHARE lock");
    expect(finding.message).toContain("blocks all writes");
    expect(finding.location).toEqual({ file: "m/002_change.sql", line: 2, column: 1 });
    expect(finding.table).toBe("public.users");
    expect(finding.columns).toEqual(["email"]);
    expect(finding.details).toContain("was created in m/001_init.sql");
    expect(finding.fix?.sql).toBe("CREATE INDEX CONCURRENTLY users_email ON users (email);");
  });

  it("leaves index builds on tables created in the same file alone", () => {
    expect(check(indexLocking, BASE + "CREATE UNIQUE INDEX users_email ON users (email);")).toEqual([]);
  });

  it("treats a table the migrations never create as existing", () => {
    const result = check(indexLocking, "CREATE UNIQUE INDEX profiles_handle ON profiles (lower(handle));");
    expect(result).toHaveLength(1);
    expect(result[0].message).toMatch(/^CREATE UNIQUE INDEX on existing table profiles/);
    expect(result[0].details).toContain("not created by these migrations");
    expect(result[0].fix?.sql).toBe("CREATE UNIQUE INDEX CONCURRENTLY profiles_handle ON profiles (lower(handle));");
  });

  it("follows renames: a table created and renamed in the same file is still new", () => {
    expect(check(indexLocking, "CREATE TABLE tmp (a int);\nALTER TABLE tmp RENAME TO fresh;\nCREATE INDEX fresh_a ON fresh (a);")).toEqual([]);
  });

  it("reports DROP INDEX of an index made earlier, naming ACCESS EXCLUSIVE, and not one made in the same file", () => {
    const result = check(indexLocking, twoFiles("DROP INDEX users_org;"));
    expect(result).toHaveLength(1);
    expect(result[0].message).toContain("ACCESS EXCLUSIVE");
    expect(result[0].table).toBe("public.users");
    expect(result[0].fix?.sql).toBe("DROP INDEX CONCURRENTLY users_org;");
    expect(check(indexLocking, BASE + "DROP INDEX users_org;")).toEqual([]);
  });

  it("splits a multi-index DROP into one concurrent drop each, and gives no fix for CASCADE", () => {
    const result = check(indexLocking, twoFiles("DROP INDEX IF EXISTS users_org, other_idx;"));
    expect(result[0].fix?.sql).toBe("DROP INDEX CONCURRENTLY IF EXISTS users_org;\nDROP INDEX CONCURRENTLY IF EXISTS other_idx;");
    const cascade = check(indexLocking, twoFiles("DROP INDEX users_org CASCADE;"));
    expect(cascade[0].fix).toBeUndefined();
    expect(cascade[0].details).toContain("does not support CASCADE");
  });

  it("reports REINDEX without CONCURRENTLY", () => {
    const result = check(indexLocking, twoFiles("REINDEX (VERBOSE) TABLE users;"));
    expect(result).toHaveLength(1);
    expect(result[0].fix?.sql).toBe("REINDEX (VERBOSE) TABLE CONCURRENTLY users;");
  });

  it("reports ADD UNIQUE / PRIMARY KEY without USING INDEX and ADD FOREIGN KEY without NOT VALID, with their own messages", () => {
    const result = check(
      indexLocking,
      twoFiles(
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE;\nALTER TABLE users ADD CONSTRAINT users_org_fk2 FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;",
      ),
    );
    expect(result).toHaveLength(2);
    expect(result[0].message).toContain("ADD UNIQUE on existing table users builds its index under an ACCESS EXCLUSIVE lock");
    expect(result[0].fix?.sql).toBe(
      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\n-- A later migration, once the index is built:\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    );
    expect(result[1].message).toContain("SHARE ROW EXCLUSIVE");
    expect(result[1].message).toContain("users_org_id_fkey");
    expect(result[1].fix?.sql).toMatch(/NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_org_id_fkey;$/);
    expect(result[1].fix?.sql).toContain("ON DELETE CASCADE");
  });

  it("is important when the table is large", () => {
    const result = check(indexLocking, twoFiles("CREATE INDEX users_email ON users (email);"), { config: { tables: { users: { rows: 5_000_000 } } } });
    expect(result[0].severity).toBe("important");
  });

  it("on a partitioned table gives the ON ONLY advice instead of an impossible CONCURRENTLY, and accepts ON ONLY", () => {
    const files = [
      { path: "m/001.sql", sql: "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);" },
      { path: "m/002.sql", sql: "CREATE INDEX events_id ON events (id);\nCREATE INDEX events_id_parent ON ONLY events (id);" },
    ];
    const result = check(indexLocking, files);
    expect(result).toHaveLength(1);
    expect(result[0].fix).toBeUndefined();
    expect(result[0].details).toContain("ON ONLY");
  });
});

describe("index-locking: CONCURRENTLY where a transaction makes it fail", () => {
  it("reports CONCURRENTLY inside an explicit BEGIN … COMMIT", () => {
    const result = check(indexLocking, twoFiles("BEGIN;\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_email2 ON users (email);"));
    expect(result).toHaveLength(1);
    expect(result[0].severity).toBe("important");
    expect(result[0].message).toContain("BEGIN … COMMIT");
    expect(result[0].location.line).toBe(2);
  });

  const frameworks: Array<[Framework, RegExp, "important" | "routine"]> = [
    ["dbmate", /-- migrate:up transaction:false/, "important"],
    ["flyway", /executeInTransaction=false/, "important"],
    ["golang-migrate", /alone in its own migration file/, "important"],
    ["drizzle", /no per-migration switch/, "important"],
    ["supabase", /migration file of its own with no other statements/, "routine"],
    // Only a migration.sql of several statements runs in a transaction (one script, one implicit transaction).
    ["prisma", /--create-only/, "important"],
  ];

  it.each(frameworks)("tells a %s user how to run it outside the transaction", (framework, remedy, severity) => {
    const result = check(indexLocking, twoFiles("CREATE INDEX CONCURRENTLY users_email ON users (email);"), { framework, runsInTransaction: true });
    expect(result).toHaveLength(1);
    expect(result[0].details).toMatch(remedy);
    expect(result[0].severity).toBe(severity);
    expect(result[0].message).toContain("SQLSTATE 25001");
  });

  it("a Prisma migration.sql of several statements: the CONCURRENTLY fix goes in a migration of its own, since PostgreSQL refuses it in the script", async () => {
    const script = 'DROP INDEX "users_org";\nDROP INDEX "users_email";';
    const result = check(indexLocking, twoFiles("CREATE INDEX users_email ON users (email);\n" + script.split("\n")[0]), { framework: "prisma", runsInTransaction: true });
    const drop = result.find((f) => f.message.startsWith("DROP INDEX"))!;
    expect(drop.fix).toMatchObject({ sql: expect.stringContaining("DROP INDEX CONCURRENTLY"), placement: "separate" });
    // What Prisma does with the file: one query string. PostgreSQL runs it as one implicit transaction.
    const db = await startPGlite();
    try {
      await db.exec(BASE + "CREATE INDEX users_email ON users (email);");
      const inScript = await db.exec('DROP INDEX CONCURRENTLY "users_org";\nDROP INDEX CONCURRENTLY "users_email";').then(
        () => "ran",
        (error: { code?: string }) => error.code,
      );
      expect(inScript).toBe("25001");
      await db.exec('DROP INDEX CONCURRENTLY "users_org";');
      await db.exec('DROP INDEX CONCURRENTLY "users_email";');
    } finally {
      await db.close();
    }
  });

  it("a DROP INDEX before a statement that locks the same table ACCESS EXCLUSIVE in the same transaction: NOTED, no CONCURRENTLY fix", () => {
    const later = check(indexLocking, twoFiles("DROP INDEX users_org;\nALTER TABLE users DROP COLUMN org_id;"), { framework: "supabase", runsInTransaction: true });
    const drop = later.find((f) => f.message.startsWith("DROP INDEX users_org"))!;
    expect(drop.severity).toBe("noted");
    expect(drop.fix).toBeUndefined();
    expect(drop.message).toContain("line 2");
    // Alone in its transaction, the drop still gets the CONCURRENTLY fix.
    const alone = check(indexLocking, twoFiles("DROP INDEX users_org;\nALTER TABLE orgs ADD COLUMN note text;"), { framework: "supabase", runsInTransaction: true });
    expect(alone.find((f) => f.message.startsWith("DROP INDEX users_org"))?.fix?.sql).toContain("DROP INDEX CONCURRENTLY");
  });

  it("covers DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY too, and nothing outside a transaction", () => {
    const result = check(indexLocking, twoFiles("DROP INDEX CONCURRENTLY users_org;\nREINDEX INDEX CONCURRENTLY users_pkey;"), { framework: "dbmate", runsInTransaction: true });
    expect(result.map((f) => f.message.split(" CONCURRENTLY")[0])).toEqual(["DROP INDEX", "REINDEX INDEX"]);
    expect(check(indexLocking, twoFiles("DROP INDEX CONCURRENTLY users_org;"), { framework: "dbmate", runsInTransaction: false })).toEqual([]);
  });

  it("warns, beside a CONCURRENTLY fix, that the framework's transaction must be dealt with", () => {
    const result = check(indexLocking, twoFiles("CREATE INDEX users_email ON users (email);"), { framework: "dbmate", runsInTransaction: true });
    expect(result[0].details).toContain("transaction:false");
  });
});

describe("index-locking fixes run on PostgreSQL", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
  });
  afterAll(() => db.close());

  it("every suggested fix is accepted by the parser and executes against the schema", async () => {
    const second = [
      "CREATE INDEX users_email ON users (email);",
      "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
      "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);",
      "REINDEX TABLE users;",
    ].join("\n");
    // The drop in a migration of its own: beside the ADD CONSTRAINT, which locks users ACCESS EXCLUSIVE anyway, it is NOTED with no fix.
    const result = check(indexLocking, [...twoFiles(second), { path: "m/003_drop.sql", sql: "DROP INDEX users_org;" }]);
    expect(result).toHaveLength(5);
    await db.exec(BASE + "INSERT INTO orgs VALUES (1); INSERT INTO users VALUES (1, 'a@b.c', 1);");
    for (const finding of result) {
      expect(parseSql(finding.fix!.sql).ok).toBe(true);
      // One statement at a time: the CONCURRENTLY forms refuse multi-statement strings.
      const parsed = parseSql(finding.fix!.sql);
      if (!parsed.ok) throw new Error(parsed.message);
      for (const statement of parsed.statements) await db.exec(finding.fix!.sql.slice(statement.start, statement.end));
    }
    const constraints = await db.query<{ conname: string; convalidated: boolean }>("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('p', 'u', 'f') ORDER BY conname");
    expect(constraints.rows).toEqual([
      { conname: "users_email_key", convalidated: true },
      { conname: "users_org_id_fkey", convalidated: true },
      { conname: "users_pkey", convalidated: true },
    ]);
  });
});

describe("index-locking: tables that hold a handful of rows", () => {
  const LOOKUP = "CREATE TABLE statuses (id int PRIMARY KEY, label text);\nCREATE TABLE tickets (id int PRIMARY KEY, status_id int REFERENCES statuses (id), created_at timestamptz);\n";
  const files = (second: string, first = LOOKUP): FixtureFile[] => [
    { path: "m/001_init.sql", sql: first },
    { path: "m/002_change.sql", sql: second },
  ];

  const readStatuses: AccessPattern = {
    table: "statuses",
    kind: "select",
    predicates: [],
    hasOr: false,
    orderBy: [],
    limited: false,
    joins: [],
    inLoop: false,
    source: "sql-in-code",
    location: { file: "src/statuses.ts", line: 3, column: 1 },
    suppressions: [],
  };

  it("a lookup table (few columns, no time column, referenced and referencing none, read but never written by the code) is NOTED, with the reason", () => {
    const [finding] = check(indexLocking, files("CREATE INDEX statuses_label ON statuses (label);"), { patterns: [readStatuses] });
    expect(finding.severity).toBe("noted");
    expect(finding.details!.split("\n\n")[0]).toBe(
      "NOTED because statuses looks like a lookup table (2 columns, no time column, referenced by other tables and referencing none, read but never written by the code the audit read): on a table that small the lock lasts milliseconds.",
    );
    // The table that grows (a time column) keeps its severity.
    expect(check(indexLocking, files("CREATE INDEX tickets_status ON tickets (status_id);"), { patterns: [readStatuses] })[0].severity).toBe("routine");
  });

  it("is not a lookup table without code that reads it, with code that writes it, or when it references a table that is not one", () => {
    expect(check(indexLocking, files("CREATE INDEX statuses_label ON statuses (label);"))[0].severity).toBe("routine");
    const written = { ...readStatuses, kind: "insert" as const };
    expect(check(indexLocking, files("CREATE INDEX statuses_label ON statuses (label);"), { patterns: [readStatuses, written] })[0].severity).toBe("routine");
    const child = LOOKUP + "CREATE TABLE accounts (id int PRIMARY KEY, created_at timestamptz NOT NULL);\nCREATE TABLE labels (id int PRIMARY KEY, account_id int REFERENCES accounts (id));\nCREATE TABLE tags (label_id int REFERENCES labels (id));\n";
    const readLabels = { ...readStatuses, table: "labels" };
    expect(check(indexLocking, files("CREATE INDEX labels_account ON labels (account_id);", child), { patterns: [readLabels] })[0].severity).toBe("routine");
  });

  it("a lookup table under another lookup table (a price list under a product list), written only by a seed script, is NOTED", () => {
    const child = LOOKUP + "CREATE TABLE labels (id int PRIMARY KEY, status_id int REFERENCES statuses (id));\nCREATE TABLE tags (label_id int REFERENCES labels (id));\n";
    const readLabels = { ...readStatuses, table: "labels" };
    const seeded = { ...readStatuses, table: "labels", kind: "insert" as const, location: { file: "db/seed/labels.ts", line: 4, column: 1 } };
    const [finding] = check(indexLocking, files("CREATE INDEX labels_status ON labels (status_id);", child), { patterns: [readLabels, seeded] });
    expect(finding.severity).toBe("noted");
    expect(finding.details).toContain("referencing only lookup tables (statuses), read, and written only by a seed or one-off script (db/seed/labels.ts:4)");
    const written = { ...seeded, location: { file: "src/labels.ts", line: 4, column: 1 } };
    expect(check(indexLocking, files("CREATE INDEX labels_status ON labels (status_id);", child), { patterns: [readLabels, written] })[0].severity).toBe("routine");
  });

  it("a size hint under 10,000 rows is NOTED; an unreferenced small table without a hint stays ROUTINE", () => {
    const hinted = check(indexLocking, files("CREATE INDEX tickets_status ON tickets (status_id);"), { config: { tables: { tickets: { rows: 300 } } } });
    expect(hinted[0].severity).toBe("noted");
    expect(hinted[0].details).toContain("the size hint says tickets holds about 300 rows");
    expect(check(indexLocking, files("CREATE INDEX t_label ON t (label);", "CREATE TABLE t (id int PRIMARY KEY, label text);"))[0].severity).toBe("routine");
  });

  it("CONCURRENTLY inside a transaction fails whatever the table's size", () => {
    const [finding] = check(indexLocking, [{ path: "m/001_init.sql", sql: LOOKUP }, { path: "m/002_change.sql", sql: "BEGIN;\nCREATE INDEX CONCURRENTLY statuses_label ON statuses (label);\nCOMMIT;" }]);
    expect(finding.severity).toBe("important");
  });
});

describe("index-locking: DROP INDEX weighs what the code shows of the table", () => {
  const SCHEMA =
    "CREATE TABLE boards (id int PRIMARY KEY, slug text, title text);\nCREATE UNIQUE INDEX boards_slug_key ON boards (slug);\n" +
    "CREATE TABLE visits (id bigint PRIMARY KEY, board_id int, created_at timestamptz);\nCREATE INDEX visits_board_idx ON visits (board_id);\n" +
    "CREATE TABLE archive (id int PRIMARY KEY, body text);\nCREATE INDEX archive_body_idx ON archive (body);\n";
  const files = (second: string, schema = SCHEMA): FixtureFile[] => [
    { path: "m/001_init.sql", sql: schema },
    { path: "m/002_change.sql", sql: second },
  ];
  const use = (table: string, kind: AccessPattern["kind"], line: number): AccessPattern => ({
    table,
    kind,
    predicates: [],
    hasOr: false,
    orderBy: [],
    limited: false,
    joins: [],
    inLoop: false,
    source: "sql-in-code",
    location: { file: `src/${table}.ts`, line, column: 1 },
    suppressions: [],
  });
  // Boards are created, renamed and deleted by their owners; visits are only ever appended.
  const CODE = [use("boards", "insert", 5), use("boards", "update", 9), use("boards", "delete", 12), use("visits", "insert", 3)];

  it("is NOTED without a fix on a table the code inserts into, updates and deletes, and says how to bound the wait", async () => {
    const [drop, ...rest] = check(indexLocking, files("DROP INDEX boards_slug_key;"), { patterns: CODE });
    expect(rest).toEqual([]);
    expect(drop.severity).toBe("noted");
    expect(drop.fix).toBeUndefined();
    expect(drop.summary).toContain("bound it with lock_timeout");
    expect(drop.details).toContain("NOTED because nothing shows boards large or busy: no size hint; the code inserts into boards but also deletes its rows (src/boards.ts:12)");
    expect(drop.details).toContain("SET lock_timeout = '5s';");
    // The SET the details give runs, and the drop then gives up rather than wait forever.
    const db = await startPGlite();
    try {
      await db.exec(SCHEMA + "SET lock_timeout = '5s';\nDROP INDEX boards_slug_key;");
      expect((await db.query("select current_setting('lock_timeout') as v")).rows).toEqual([{ v: "5s" }]);
    } finally {
      await db.close();
    }
  });

  it("names the lock_timeout the migration sets, or the lock-timeout finding on the file, instead of advising a new one", () => {
    const set = check(indexLocking, files("SET lock_timeout = '3s';\nDROP INDEX boards_slug_key;"), { patterns: CODE });
    expect(set[0].details).toContain("This migration sets lock_timeout at line 1");
    const second = "DROP INDEX boards_slug_key;\nALTER TABLE archive ADD COLUMN kept boolean DEFAULT random() > 0.5;";
    expect(check(lockTimeout, files(second)).map((f) => f.location.line)).toEqual([1]);
    const reported = check(indexLocking, files(second), { patterns: CODE });
    const drop = reported.find((f) => f.message.startsWith("DROP INDEX boards_slug_key"))!;
    expect(drop.severity).toBe("noted");
    expect(drop.details).toContain("The lock-timeout finding on this migration, for the ALTER TABLE at line 2, sets lock_timeout before the first statement");
    expect(drop.details).not.toContain("put `SET");
  });

  it("stays ROUTINE with the CONCURRENTLY fix on a table that grows, naming the evidence", () => {
    const [drop] = check(indexLocking, files("DROP INDEX visits_board_idx;"), { patterns: CODE });
    expect(drop.severity).toBe("routine");
    expect(drop.fix?.sql).toBe("DROP INDEX CONCURRENTLY visits_board_idx;");
    expect(drop.details).toContain("ROUTINE because the code inserts into visits (src/visits.ts:3) and never updates or deletes its rows, so rows accumulate");
  });

  it("stays ROUTINE on a table a growing table references: each insert there locks it ROW SHARE, which queues behind the drop", async () => {
    const schema = SCHEMA.replace("board_id int,", "board_id int REFERENCES boards (id),");
    const [drop] = check(indexLocking, files("DROP INDEX boards_slug_key;", schema), { patterns: CODE });
    expect(drop.severity).toBe("routine");
    expect(drop.details).toContain("each insert into visits checks its board_id against boards under a ROW SHARE lock");
    const db = await startPGlite();
    try {
      await db.exec(schema + "INSERT INTO boards VALUES (1, 'a', 'A');\nBEGIN;\nINSERT INTO visits VALUES (1, 1, now());");
      const held = await db.query<{ mode: string }>("select mode from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'boards'");
      expect(held.rows.map((r) => r.mode)).toContain("RowShareLock");
      await db.exec("COMMIT");
    } finally {
      await db.close();
    }
  });

  it("stays ROUTINE where the audit never sees the table filled, or read no code that inserts anything", () => {
    const unseen = check(indexLocking, files("DROP INDEX archive_body_idx;"), { patterns: [...CODE, use("archive", "delete", 4)] });
    expect(unseen[0].severity).toBe("routine");
    expect(unseen[0].details).toContain("never inserts into archive");
    expect(check(indexLocking, files("DROP INDEX boards_slug_key;"))[0].severity).toBe("routine");
  });
});

describe("index-locking: foreign keys whose validation finds nothing, unless the migration wrote rows first", () => {
  const INIT = "CREATE TABLE projects (id int PRIMARY KEY, name text);\nCREATE TABLE services (id int PRIMARY KEY, project_id int);\n";
  const files = (second: string): FixtureFile[] => [
    { path: "m/001_init.sql", sql: INIT },
    { path: "m/002_change.sql", sql: second },
  ];
  const ADD_FK = "ALTER TABLE services ADD CONSTRAINT services_stage_fk FOREIGN KEY (stage_id) REFERENCES stages (id);";

  it("is NOTED on a column added without a default and a parent the migration creates empty", () => {
    const [finding] = check(indexLocking, files(`CREATE TABLE stages (id int PRIMARY KEY);\nALTER TABLE services ADD COLUMN stage_id int;\n${ADD_FK}`));
    expect(finding.severity).toBe("noted");
    expect(finding.message).toContain("stage_id was added at line 2 of this migration without a default, so every value is NULL");
  });

  it("is the general finding once an UPDATE filled the column and an INSERT filled the new parent: PostgreSQL looks every row up", async () => {
    const sql = `CREATE TABLE stages (id int PRIMARY KEY);\nINSERT INTO stages SELECT id FROM projects;\nALTER TABLE services ADD COLUMN stage_id int;\nUPDATE services SET stage_id = project_id;\n${ADD_FK}`;
    const [finding] = check(indexLocking, files(sql));
    expect(finding.severity).toBe("routine");
    expect(finding.summary).toContain("add it NOT VALID");
    expect(finding.fix?.sql).toContain("NOT VALID");
    const db = await startPGlite();
    try {
      await db.exec(INIT + "INSERT INTO projects VALUES (1, 'a'); INSERT INTO services VALUES (1, 1);\n" + sql.replace(ADD_FK, ""));
      // The column now holds values to check: the constraint is satisfied only because stages was filled.
      expect((await db.query("SELECT count(*)::int AS n FROM services WHERE stage_id IS NOT NULL")).rows).toEqual([{ n: 1 }]);
      await db.exec(finding.fix!.sql.replace(/^--.*$/gm, ""));
    } finally {
      await db.close();
    }
  });
});
