import { beforeAll, describe, expect, it } from "vitest";
import { extractFromSqlFile } from "../../src/queries/sql-file.js";
import { parseError } from "../../src/rules/parse-error.js";
import { initParser } from "../../src/sql/parser.js";
import { buildInput, contextOf } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

describe("parse-error", () => {
  it("turns every input problem into a finding at its file and line", () => {
    const input = buildInput([
      { path: "m/001.sql", sql: "CREATE TABLE a (id int PRIMARY KEY);" },
      { path: "m/002.sql", sql: "CREATE TABLE b (id int PRIMARY KEY);\nCREATE TABLE c (id int,,);" },
    ]);
    input.problems.push({ message: "app/data.sql: binary file (contains NUL bytes)", location: { file: "app/data.sql", line: 1, column: 1 } });
    const result = parseError.check(contextOf(input));
    expect(result).toHaveLength(2);
    expect(result[0]).toMatchObject({ rule: "parse-error", severity: "routine", location: { file: "m/002.sql", line: 2 } });
    expect(result[0].message).toContain("syntax error");
    expect(result[1]).toMatchObject({ location: { file: "app/data.sql", line: 1 }, message: "app/data.sql: binary file (contains NUL bytes)" });
  });

  it("keys identical problems in one file apart, and the key does not carry line numbers", () => {
    const problem = (line: number) => ({ message: `syntax error at end of input (line ${line})`, location: { file: "x.sql", line, column: 1 } });
    const input = buildInput([]);
    input.problems.push(problem(3), problem(9));
    const keys = parseError.check(contextOf(input)).map((f) => f.key);
    expect(new Set(keys).size).toBe(2);
    input.problems.splice(0, 2, problem(5), problem(12));
    expect(parseError.check(contextOf(input)).map((f) => f.key)).toEqual(keys);
  });
});

describe("parse-error on scripts outside the migrations", () => {
  const script = [
    "-- PostgreSQL",
    'UPDATE "website_event" SET utm_source = left(utm_source, 255);',
    "",
    "-- MySQL",
    "UPDATE `website_event` SET utm_source = LEFT(utm_source, 255);",
  ].join("\n");

  it("says where another dialect begins, and is NOTED outside the migrations", () => {
    const extracted = extractFromSqlFile("db/scripts/trim.sql", script);
    const input = buildInput([{ path: "m/001.sql", sql: "CREATE TABLE website_event (id int PRIMARY KEY, utm_source text);" }]);
    input.problems.push(...extracted.problems);
    const [finding] = parseError.check(contextOf(input));
    expect(finding).toMatchObject({ severity: "noted", location: { file: "db/scripts/trim.sql", line: 4 } });
    expect(finding.message).toContain("not PostgreSQL from line 4 (a `-- MySQL` section header)");
    expect(finding.details).toContain("there is no syntax to fix");
    expect(finding.details).not.toContain("Fix the syntax");
  });

  it("names MySQL by its signs without a header, and ignores backticks in strings and comments", () => {
    const ddl = "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (\n  id int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (id)\n) ENGINE=InnoDB;";
    expect(extractFromSqlFile("x.sql", ddl).problems[0].notPostgres).toEqual({ line: 3, dialect: "MySQL", sign: "`AUTO_INCREMENT`" });
    const typo = "COMMENT ON TABLE a IS 'see `b`'; -- `c`\nSELEC 1;";
    const [problem] = extractFromSqlFile("y.sql", typo).problems;
    expect(problem.notPostgres).toBeUndefined();
    expect(problem.message).toContain("syntax error");
  });

  it("keeps a plain syntax error ROUTINE in a migration and NOTED in a hand-run script", () => {
    const input = buildInput([{ path: "m/001.sql", sql: "CREATE TABLE c (id int,,);" }]);
    input.problems.push(...extractFromSqlFile("scripts/fix.sql", "SELEC 1;").problems);
    const findings = parseError.check(contextOf(input));
    expect(findings.map((f) => [f.location.file, f.severity])).toEqual([
      ["m/001.sql", "routine"],
      ["scripts/fix.sql", "noted"],
    ]);
    expect(findings[1].details).toContain("Fix the syntax");
  });
});
