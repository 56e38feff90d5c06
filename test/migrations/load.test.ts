import { PGlite } from "@electric-sql/pglite";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MigrationFile, Statement, InputProblem } from "../../src/core/types.js";
import { loadScript } from "../../src/migrations/load.js";
import { FIXTURES, kind, loadRepo, where, writeRepo } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

function load(sql: string, file: Partial<MigrationFile> = {}): { statements: Statement[]; problems: InputProblem[] } {
  const statements: Statement[] = [];
  const problems: InputProblem[] = [];
  loadScript(sql, { path: "m.sql", order: 0, runsInTransaction: false, ...file }, statements, problems);
  return { statements, problems };
}

/** Tables, columns and indexes of a schema, as the catalog sees them. */
async function catalog(schema: string): Promise<unknown> {
  const tables = await db.query(
    `SELECT c.relname, c.relkind, array_agg(a.attname ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 GROUP BY c.relname, c.relkind ORDER BY c.relname`,
    [schema],
  );
  const functions = await db.query(
    `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  return { tables: tables.rows, functions: functions.rows };
}

describe("splitting agrees with PostgreSQL", () => {
  it("statements run one by one build the same catalog as the whole file run at once", async () => {
    const text = await readFile(`${FIXTURES}psql/migrations/002_tricky_strings.sql`, "utf8");
    const { statements, problems } = load(text);
    expect(problems).toEqual([]);
    expect(statements.map(kind)).toEqual(["CreateStmt", "CreateFunctionStmt", "CreateFunctionStmt", "IndexStmt"]);

    await db.exec("CREATE SCHEMA whole; SET search_path = whole;");
    await db.exec(text);
    await db.exec("CREATE SCHEMA split; SET search_path = split;");
    for (const s of statements) await db.exec(s.sql);
    await db.exec("SET search_path = public;");
    expect(await catalog("split")).toEqual(await catalog("whole"));
  });

  it("after a syntax error, the per-statement fallback still yields statements PostgreSQL runs to the same schema", async () => {
    const good = await readFile(`${FIXTURES}psql/migrations/002_tricky_strings.sql`, "utf8");
    const broken = good.replace("CREATE INDEX notes_stamp_idx", "CREATE INDEX notes_stamp_idx ON notes (stamp) WHERE;\nCREATE INDEX notes_stamp_idx2");
    const { statements, problems } = load(broken);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/syntax error at or near ";"/);
    const brokenLines = broken.split("\n");
    const line = brokenLines.findIndex((l) => l.includes("WHERE;")) + 1;
    expect(problems[0].location).toEqual({ file: "m.sql", line, column: brokenLines[line - 1].indexOf(";") + 1 });
    expect(statements.map(kind)).toEqual(["CreateStmt", "CreateFunctionStmt", "CreateFunctionStmt", "IndexStmt"]);

    await db.exec("CREATE SCHEMA fallback; SET search_path = fallback;");
    for (const s of statements) await db.exec(s.sql);
    await db.exec("CREATE SCHEMA reference; SET search_path = reference;");
    await db.exec(good.replace("notes_stamp_idx", "notes_stamp_idx2"));
    await db.exec("SET search_path = public;");
    expect(await catalog("fallback")).toEqual(await catalog("reference"));
  });
});

describe("statement text", () => {
  it("is the statement alone: no semicolon, and no comments after a last statement without one", () => {
    const { statements } = load("CREATE TABLE a (id int);\nSELECT '--not a comment'\n-- the end\n/* really */\n");
    expect(statements.map((s) => s.sql)).toEqual(["CREATE TABLE a (id int)", "SELECT '--not a comment'"]);
  });
});

describe("the per-statement fallback", () => {
  it("keeps parenthesised rule actions and BEGIN ATOMIC bodies whole", () => {
    const sql = [
      "CREATE TABLE t (a int);",
      "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY t_changed; NOTIFY t_grew);",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;",
      "CREATE TABLE oops (a int,);",
      "CREATE INDEX t_a ON t (a);",
    ].join("\n");
    const { statements, problems } = load(sql);
    expect(statements.map((s) => [s.location.line, kind(s)])).toEqual([
      [1, "CreateStmt"],
      [2, "RuleStmt"],
      [3, "CreateFunctionStmt"],
      [5, "IndexStmt"],
    ]);
    expect(problems.map(where)).toEqual(["m.sql:4:26"]);
  });
});

describe("psql scripts", () => {
  it("meta-commands and :variables are blanked without moving anything", async () => {
    const { statements, problems } = await loadRepo(`${FIXTURES}psql`);
    expect(problems).toEqual([]);
    const setup = statements.filter((s) => s.location.file === "migrations/001_setup.sql");
    expect(setup.map((s) => [s.location.line, kind(s)])).toEqual([
      [4, "CreateSchemaStmt"],
      [6, "CreateStmt"],
      [14, "SelectStmt"],
      [15, "SelectStmt"],
      [19, "IndexStmt"],
    ]);
    // :"name" became a quoted identifier, :'name' a string literal, :name a plain name; ::casts and slices kept.
    expect(setup[0].ast.CreateSchemaStmt.schemaname).toBe("app_schema");
    expect(setup[1].sql).toContain(`DEFAULT  'default_plan'`);
    expect(setup[1].sql).toContain("now()::timestamptz");
    expect(setup[2].sql).toContain("tags[1:2]");
    expect(setup[2].sql).toContain("LIMIT  row_limit");
    for (const s of setup) expect(s.sql.includes("\\")).toBe(false);
  });

  it("\\g ends a statement like a semicolon", () => {
    const { statements, problems } = load("SELECT 1 \\g\nSELECT 2 \\gx\nSELECT 3;\n");
    expect(problems).toEqual([]);
    expect(statements.map((s) => s.location.line)).toEqual([1, 2, 3]);
  });

  it("COPY ... FROM stdin data is skipped up to \\.", () => {
    const sql = "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone; two\n2\t:not_a_var\n\\.\nCREATE INDEX t_a ON t (a);\n";
    const { statements, problems } = load(sql);
    expect(problems).toEqual([]);
    expect(statements.map((s) => [s.location.line, kind(s)])).toEqual([
      [1, "CreateStmt"],
      [2, "CopyStmt"],
      [6, "IndexStmt"],
    ]);
  });
});

describe("DO blocks", () => {
  const sql = [
    "CREATE TABLE parent (id int PRIMARY KEY);", // 1
    "CREATE TABLE child (id int PRIMARY KEY, parent_id int);", // 2
    "DO $$", // 3
    "BEGIN", // 4
    "  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'child_parent_fk') THEN", // 5
    "    ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id);", // 6
    "  END IF;", // 7
    "  EXECUTE 'CREATE INDEX child_parent_idx ON child (parent_id)';", // 8
    "  EXECUTE format('CREATE INDEX %I ON child (id)', 'dyn');", // 9
    "EXCEPTION WHEN duplicate_object THEN", // 10
    "  CREATE INDEX IF NOT EXISTS child_parent_idx2 ON child (parent_id);", // 11
    "END $$;", // 12
    "DO LANGUAGE plpgsql $body$ BEGIN CREATE TABLE inline_do (id int); END $body$;", // 13
    "DO LANGUAGE plv8 $$ plv8.execute('CREATE TABLE js (id int)') $$;", // 14
  ].join("\n");

  it("the DDL inside comes through as statements at their own lines, inside the block's transaction", () => {
    const { statements, problems } = load(sql);
    expect(problems).toEqual([]);
    const inner = statements.filter((s) => s.fromDoBlock);
    expect(inner.map((s) => [s.location.line, s.location.column, kind(s)])).toEqual([
      [6, 5, "AlterTableStmt"],
      [8, 12, "IndexStmt"],
      [11, 3, "IndexStmt"],
      [13, 34, "CreateStmt"],
    ]);
    expect(inner[0].sql).toBe("ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)");
    expect(inner[1].ast.IndexStmt.idxname).toBe("child_parent_idx");
    expect(inner.every((s) => s.inTransaction)).toBe(true);
    // The DO statements themselves stay in the list, in file order, followed by what they contain.
    expect(statements.map((s) => s.location.line)).toEqual([1, 2, 3, 6, 8, 11, 13, 13, 14]);
  });

  it("a NUL byte is reported at its line as a statement PostgreSQL refuses, and the statements after it are still read", () => {
    const { statements, problems } = load("CREATE TABLE n (id int PRIMARY KEY);\0\nCREATE TABLE q (id int PRIMARY KEY, n_id int REFERENCES n (id));\nINSERT INTO n VALUES (1), (2);\nSELECT 'a\0b';\n");
    expect(statements.map(kind)).toEqual(["CreateStmt", "CreateStmt", "InsertStmt", "SelectStmt"]);
    expect(problems.map((p) => [p.location.line, p.location.column, p.kind])).toEqual([
      [1, 37, "refused"],
      [4, 10, "refused"],
    ]);
    expect(problems[0].message).toBe('a NUL byte (0x00): PostgreSQL refuses it in SQL text (invalid byte sequence for encoding "UTF8": 0x00)');
  });

  it("a DO body PostgreSQL's PL/pgSQL compiler rejects is reported at the DO", () => {
    const { problems } = load("CREATE TABLE a (id int);\nDO $$ BEGIN IF true THEN NULL; END $$;\n");
    expect(problems).toHaveLength(1);
    expect(problems[0].location).toEqual({ file: "m.sql", line: 2, column: 1 });
    expect(problems[0].message).toMatch(/DO block does not parse/);
  });
});

describe("transactions", () => {
  const sql = "CREATE TABLE a (id int);\nBEGIN;\nCREATE INDEX a_id ON a (id);\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_id2 ON a (id);\nSTART TRANSACTION;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nCOMMIT AND CHAIN;\nCREATE TABLE b (id int);\nEND;\nCREATE TABLE c (id int);\n";
  const flags = (statements: Statement[]) => statements.map((s) => [s.location.line, s.inExplicitTransaction, s.inTransaction]);

  it("explicit BEGIN / COMMIT blocks are tracked; savepoints and COMMIT AND CHAIN keep the block open", () => {
    expect(flags(load(sql).statements)).toEqual([
      [1, false, false],
      [2, true, true],
      [3, true, true],
      [4, true, true],
      [5, false, false],
      [6, true, true],
      [7, true, true],
      [8, true, true],
      [9, true, true],
      [10, true, true],
      [11, true, true],
      [12, false, false],
    ]);
  });

  it("a framework that wraps the file puts every statement in a transaction", () => {
    const statements = load(sql, { runsInTransaction: true }).statements;
    expect(statements.every((s) => s.inTransaction)).toBe(true);
    expect(statements.filter((s) => s.inExplicitTransaction).length).toBe(9);
  });

  it("PostgreSQL runs a multi-statement query as one transaction, as the golang-migrate and old Prisma settings assume", async () => {
    await db.exec("CREATE TABLE tx_probe (id int)");
    await expect(db.exec("SELECT 1; CREATE INDEX CONCURRENTLY tx_probe_a ON tx_probe (id);")).rejects.toThrow(/transaction block/);
    await expect(db.exec("CREATE INDEX CONCURRENTLY tx_probe_b ON tx_probe (id);")).resolves.toBeDefined();
  });

  it("what a DO block runs is inside a transaction even in autocommit, as statements from DO blocks say", async () => {
    const { statements } = load("DO $$ BEGIN CREATE INDEX CONCURRENTLY tx_probe_c ON tx_probe (id); END $$;");
    expect(statements.map((s) => [kind(s), s.fromDoBlock ?? false, s.inTransaction])).toEqual([
      ["DoStmt", false, false],
      ["IndexStmt", true, true],
    ]);
    await db.exec("CREATE TABLE IF NOT EXISTS tx_probe (id int)");
    await expect(db.exec(statements[0].sql)).rejects.toThrow(/CONCURRENTLY cannot be executed from a function|transaction block/);
  });
});

describe("suppression comments", () => {
  it("apply from the line above, a run of comment lines above, or the statement's own line", () => {
    const sql = [
      "-- index-audit-ignore index-locking: table holds ten rows", // 1
      "CREATE INDEX a1 ON a (x);", // 2
      "-- index-audit-ignore fk-index, redundant-index: kept for reporting", // 3
      "-- and a second line of explanation", // 4
      "CREATE INDEX a2 ON a (y);", // 5
      "CREATE INDEX a3 ON a (z); -- index-audit-ignore index-locking: same line", // 6
      "/* index-audit-ignore missing-primary-key: staging table */ CREATE TABLE s (v int);", // 7
      "-- index-audit-ignore index-locking: a blank line breaks the link", // 8
      "", // 9
      "CREATE INDEX a4 ON a (w);", // 10
    ].join("\n");
    const { statements, problems } = load(sql);
    expect(problems).toEqual([]);
    const rules = statements.map((s) => s.suppressions.map((x) => `${x.rule}:${x.reason}`));
    expect(rules).toEqual([
      ["index-locking:table holds ten rows"],
      ["fk-index:kept for reporting", "redundant-index:kept for reporting"],
      ["index-locking:same line"],
      ["missing-primary-key:staging table"],
      [],
    ]);
    expect(statements[0].suppressions[0].location).toEqual({ file: "m.sql", line: 1, column: 1 });
  });

  it("work the same in files with CRLF line ends and inside DO blocks", () => {
    const crlf = load("CREATE TABLE a (id int);\r\n-- index-audit-ignore fk-index: windows\r\nCREATE INDEX b ON a (id);\r\n");
    expect(crlf.statements.map((s) => [s.location.line, s.suppressions.map((x) => `${x.rule}:${x.reason}`)])).toEqual([
      [1, []],
      [3, ["fk-index:windows"]],
    ]);
    const inDo = load(
      "DO $$\nBEGIN\n  -- index-audit-ignore index-locking: built once at install\n  CREATE INDEX c ON a (id);\n  CREATE INDEX d ON a (id);\nEND $$;\n",
    );
    expect(inDo.problems).toEqual([]);
    expect(inDo.statements.filter((s) => s.fromDoBlock).map((s) => [s.location.line, s.suppressions.map((x) => x.rule)])).toEqual([
      [4, ["index-locking"]],
      [5, []],
    ]);
  });

  it("a suppression without a rule is reported where it is written", () => {
    const { statements, problems } = load("CREATE TABLE a (id int);\n  -- index-audit-ignore\nCREATE INDEX b ON a (id);\n");
    expect(statements[1].suppressions).toEqual([]);
    expect(problems).toEqual([
      { message: expect.stringMatching(/malformed suppression/), location: { file: "m.sql", line: 2, column: 3 } },
    ]);
  });
});

describe("bad input: every readable statement still comes through", () => {
  it("reports each bad file or statement at file:line:column and loads the rest", async () => {
    const { sets, statements, problems } = await loadRepo(`${FIXTURES}bad-inputs`);
    expect(sets.map((s) => s.name)).toEqual(["migrations"]);
    expect(statements.map((s) => `${where(s)} ${kind(s)}`)).toEqual([
      "migrations/001_ok.sql:1:1 CreateStmt",
      "migrations/002_syntax_error.sql:1:1 CreateStmt",
      "migrations/002_syntax_error.sql:6:1 IndexStmt",
      "migrations/002_syntax_error.sql:8:1 AlterTableStmt",
      "migrations/002_syntax_error.sql:11:1 CreateStmt",
      "migrations/005_non_ascii.sql:2:1 CreateStmt",
      "migrations/005_non_ascii.sql:4:1 IndexStmt",
      "migrations/006_invalid_utf8.sql:1:1 CreateStmt",
      "migrations/007_after.sql:1:1 IndexStmt",
    ]);
    const nonAsciiLine = (await readFile(`${FIXTURES}bad-inputs/migrations/005_non_ascii.sql`, "utf8")).split("\n")[2];
    expect(problems.map((p) => [where(p), p.message])).toEqual([
      ["migrations/002_syntax_error.sql:9:41", 'SQL does not parse: syntax error at or near "DEFALT"'],
      ["migrations/003_binary.sql:1:1", "migration file not read: binary file (contains NUL bytes)"],
      [`migrations/005_non_ascii.sql:3:${nonAsciiLine.indexOf("NUL;") + 1}`, 'SQL does not parse: syntax error at or near "NUL"'],
      ["migrations/006_invalid_utf8.sql:1:50", "migration file is not UTF-8 (read as windows-1252): PostgreSQL rejects these bytes when client_encoding is UTF8"],
    ]);
    expect(nonAsciiLine.indexOf("NUL;") + 1).toBe(46);
  });

  it("an empty file, or one of comments only, yields nothing and no problem", () => {
    expect(load("")).toEqual({ statements: [], problems: [] });
    expect(load("-- nothing here\n/* still nothing */\n")).toEqual({ statements: [], problems: [] });
  });

  it("an unterminated dollar quote is one problem; the statements before it remain", () => {
    const { statements, problems } = load("CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n");
    expect(statements.map(kind)).toEqual(["CreateStmt"]);
    expect(problems).toHaveLength(1);
    expect(problems[0].location.line).toBe(2);
  });

  it("a file larger than the limit is reported, not read", async () => {
    const root = await writeRepo({
      "migrations/001_small.sql": "CREATE TABLE a (id int);\n",
      "migrations/002_huge.sql": new Uint8Array(17 * 1024 * 1024).fill(0x20),
    });
    const { statements, problems } = await loadRepo(root);
    expect(statements.map(where)).toEqual(["migrations/001_small.sql:1:1"]);
    expect(problems.map((p) => [where(p), p.message])).toEqual([
      ["migrations/002_huge.sql:1:1", expect.stringMatching(/larger than 16 MiB/)],
    ]);
  });
});

describe("framework sections", () => {
  it("dbmate: only the up section is loaded, at its own lines", async () => {
    const { statements } = await loadRepo(`${FIXTURES}dbmate`);
    expect(statements.map((s) => `${where(s)} ${kind(s)}`)).toEqual([
      "db/migrations/20240101120000_create_projects.sql:2:1 CreateStmt",
      "db/migrations/20240101120000_create_projects.sql:7:1 CreateStmt",
      "db/migrations/20240102120000_index_tasks.sql:2:1 IndexStmt",
    ]);
    expect(statements.map((s) => s.inTransaction)).toEqual([true, true, false]);
  });

  it("drizzle: breakpoints are comments; statements keep their lines", async () => {
    const { statements, problems } = await loadRepo(`${FIXTURES}drizzle`);
    expect(problems).toEqual([]);
    expect(statements.map((s) => `${where(s)} ${kind(s)}`)).toEqual([
      "drizzle/melted_thor.sql:1:1 CreateStmt",
      "drizzle/melted_thor.sql:6:1 CreateStmt",
      "drizzle/brave_hulk.sql:1:1 AlterTableStmt",
      "drizzle/calm_storm.sql:1:1 IndexStmt",
      "drizzle/calm_storm.sql:2:1 IndexStmt",
    ]);
    expect(statements.map((s) => s.fileOrder)).toEqual([0, 0, 1, 2, 2]);
  });

  it("flyway: ${placeholders} read as names, at their own columns", async () => {
    const root = await writeRepo({
      "db/migration/V1__init.sql": "CREATE TABLE ${flyway:defaultSchema}.accounts (id int);\nCREATE INDEX accounts_id ON ${schema}.accounts (id);\n",
    });
    const { statements, problems } = await loadRepo(root);
    expect(problems).toEqual([]);
    expect(statements.map((s) => [where(s), s.ast.CreateStmt?.relation.schemaname ?? s.ast.IndexStmt?.relation.schemaname])).toEqual([
      ["db/migration/V1__init.sql:1:1", "flyway_defaultschema"],
      ["db/migration/V1__init.sql:2:1", "schema"],
    ]);
  });

  it("sqitch: the script's own BEGIN / COMMIT make the transaction; what follows COMMIT is outside", async () => {
    const { statements } = await loadRepo(`${FIXTURES}sqitch`);
    const flips = statements.filter((s) => s.location.file === "deploy/flips.sql");
    expect(flips.map((s) => [s.location.line, kind(s), s.inTransaction])).toEqual([
      [3, "TransactionStmt", true],
      [5, "CreateStmt", true],
      [10, "TransactionStmt", true],
      [12, "IndexStmt", false],
    ]);
  });
});
