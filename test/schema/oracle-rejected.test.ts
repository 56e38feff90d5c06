// Statements PostgreSQL refuses because they name a column the table lacks: the replay reports each
// one at its line with the server's own error, and the model stays what the catalog holds (no
// phantom index, table or constraint).
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import type { InputProblem } from "../../src/core/types.js";
import { replaySchema } from "../../src/schema/replay.js";
import type { Source } from "../../src/source/source.js";
import { startPGlite } from "../support/pglite.js";
import { comparableCatalog, comparableModel, resetDatabase } from "./catalog.js";
import { sqlToStatements } from "./helpers.js";

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

/** Runs each statement on the server; returns the errors it raised, by line. */
async function serverErrors(sql: string): Promise<Array<{ line: number; message: string }>> {
  await resetDatabase(db);
  const errors: Array<{ line: number; message: string }> = [];
  for (const statement of sqlToStatements(sql)) {
    try {
      await db.exec(statement.sql);
    } catch (error) {
      errors.push({ line: statement.location.line, message: (error as Error).message });
    }
  }
  return errors;
}

const CASES: Record<string, string> = {
  "unquoted camelCase columns in CREATE INDEX": `
CREATE TABLE "case_tags" ("tagId" int NOT NULL, "caseId" int NOT NULL);
CREATE INDEX "tagCaseIdx" ON "case_tags" (tagId, caseId);
CREATE INDEX "tagCaseIdxQuoted" ON "case_tags" ("tagId", "caseId");`,
  "expression, INCLUDE and predicate columns": `
CREATE TABLE t (id int PRIMARY KEY, email text, status text);
CREATE INDEX t_lower ON t (lower(mail));
CREATE INDEX t_incl ON t (id) INCLUDE (state);
CREATE INDEX t_part ON t (email) WHERE stat = 'open';
CREATE INDEX t_ok ON t (email) WHERE status = 'open';`,
  "constraints in CREATE TABLE: the table is not created": `
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE a (x int, PRIMARY KEY (y));
CREATE TABLE b (x int, UNIQUE (x) INCLUDE (z));
CREATE TABLE c (x int, FOREIGN KEY (z) REFERENCES parent (id));
CREATE TABLE d (x int REFERENCES parent (nope));
CREATE TABLE e (x int, CHECK (z > 0));
CREATE TABLE f (x int, CONSTRAINT f_x_check CHECK (x > 0), FOREIGN KEY (x) REFERENCES parent (id));`,
  "constraints in ALTER TABLE: no command of the statement applies": `
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int, "parentId" int);
ALTER TABLE child ADD PRIMARY KEY (ident);
ALTER TABLE child ADD COLUMN note text, ADD CONSTRAINT child_u UNIQUE (parentid);
ALTER TABLE child ADD FOREIGN KEY ("parentId") REFERENCES parent (ident);
ALTER TABLE child ADD CHECK (amount > 0);
ALTER TABLE child ADD COLUMN amount int, ADD CONSTRAINT amount_positive CHECK (amount > 0);
ALTER TABLE child DROP COLUMN amount, ADD CONSTRAINT amount_again CHECK (amount > 0);`,
};

describe("statements PostgreSQL rejects for a missing column", () => {
  for (const [name, sql] of Object.entries(CASES)) {
    it(name, async () => {
      const errors = await serverErrors(sql);
      expect(errors.length).toBeGreaterThan(0);
      const problems: InputProblem[] = [];
      const schema = replaySchema(sqlToStatements(sql), problems);
      expect(problems.map((p) => p.location.line)).toEqual(errors.map((e) => e.line));
      problems.forEach((problem, i) => expect(problem.message).toContain(errors[i].message));
      expect(comparableModel(schema)).toEqual(await comparableCatalog(db));
    });
  }

  it("says why an unquoted camelCase name is not the quoted column", () => {
    const problems: InputProblem[] = [];
    replaySchema(sqlToStatements(CASES["unquoted camelCase columns in CREATE INDEX"]), problems);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe(
      'PostgreSQL rejects this CREATE INDEX: column "tagid" does not exist (the table has "tagId": an unquoted name is folded to lower case, so write "tagId" in double quotes); the audit replays the migrations without it',
    );
  });

  it("stays quiet about tables whose columns the model may not all know (INHERITS children)", async () => {
    const sql = `
CREATE TABLE base (id int);
CREATE TABLE child (extra int) INHERITS (base);
ALTER TABLE base ADD COLUMN added int;
CREATE INDEX child_added ON child (added);`;
    expect(await serverErrors(sql)).toEqual([]);
    const problems: InputProblem[] = [];
    replaySchema(sqlToStatements(sql), problems);
    expect(problems).toEqual([]);
  });

  it("stays quiet about typed tables and partitions of a table outside the migrations", () => {
    const sql = `
create type point3 as (x int, y int, z int);
create table points of point3;
create index points_z on points (z);
create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
create index events_2024_at on events_2024 (occurred_at);`;
    const problems: InputProblem[] = [];
    const schema = replaySchema(sqlToStatements(sql), problems);
    expect(problems).toEqual([]);
    expect(schema.tables.flatMap((t) => t.indexes.map((i) => i.name))).toEqual(["points_z", "events_2024_at"]);
  });

  it("becomes an IMPORTANT migration-fails finding at the migration's file and line, and the audit goes on", async () => {
    const files: Record<string, string> = {
      "supabase/migrations/20240101000000_init.sql": `create table "case_tags" ("tagId" bigint not null, "caseId" bigint not null);\n\ncreate index "tagCaseIdx" on "case_tags" (tagId, caseId);\n`,
    };
    const source: Source = {
      list: async () => Object.keys(files).map((path) => ({ path })),
      read: async (path: string) => new TextEncoder().encode(files[path]),
    };
    const result = await audit(source, { config: DEFAULT_CONFIG });
    expect(result.findings.filter((f) => f.rule === "parse-error")).toEqual([]);
    const finding = result.findings.find((f) => f.rule === "migration-fails");
    expect(finding?.severity).toBe("important");
    expect(finding?.summary).toBe('This migration fails on deploy: column "tagid" does not exist.');
    expect(finding?.location).toEqual({ file: "supabase/migrations/20240101000000_init.sql", line: 3, column: 1 });
    expect(finding?.message).toContain('column "tagid" does not exist');
    expect(result.sets[0].schema.tables[0].indexes.map((i) => i.name)).toEqual([]);
  });
});
